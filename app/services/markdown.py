import html


def render_html(text: str) -> str:
    return html.escape(text)
