"""``GET /asyncapi``: the AsyncAPI document as a page that needs nothing from the internet
(plain HTML and a few lines of CSS: no script, no CDN), beside ``/asyncapi.json`` and
``/asyncapi.yaml`` for tools."""

from html import escape
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from services.intake.entrypoints.asyncapi import OPERATIONS, as_yaml

STYLE = """body{font:15px/1.45 system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em}td,th{border:1px solid #ccc;
padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}code{background:
#f6f6f6;padding:0 .2em}h2{border-top:2px solid #333;padding-top:.6em;margin-top:2em}"""


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[1]


def _link(ref: str) -> str:
    name = escape(_name(ref))
    return f'<a href="#schema-{name}">{name}</a>'


def type_of(schema: dict[str, Any]) -> str:
    """A schema in a few words: its type and constraints, links for references."""
    if "$ref" in schema:
        return _link(schema["$ref"])
    for combinator, joiner in (("anyOf", " or "), ("oneOf", " or "), ("allOf", " and ")):
        if combinator in schema:
            return joiner.join(type_of(part) for part in schema[combinator])
    if "const" in schema:
        return f"<code>{escape(repr(schema['const']))}</code>"
    if "enum" in schema:
        return "one of " + ", ".join(f"<code>{escape(str(v))}</code>" for v in schema["enum"])
    words = [escape(str(schema.get("type", "any")))]
    if schema.get("type") == "array" and "items" in schema:
        words = [f"array of {type_of(schema['items'])}"]
    for key in ("format", "pattern", "minimum", "maximum", "minLength", "maxLength"):
        if key in schema:
            words.append(f"{key} <code>{escape(str(schema[key]))}</code>")
    return ", ".join(words)


def properties_table(schema: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{type_of(prop)}</td>"
        f"<td>{'yes' if name in schema.get('required', ()) else 'no'}</td>"
        f"<td>{escape(str(prop.get('description', '')))}</td></tr>"
        for name, prop in schema.get("properties", {}).items())
    return ("<table><tr><th>field</th><th>type</th><th>required</th><th>meaning</th></tr>"
            f"{rows}</table>")


def _part(title: str, schema: dict[str, Any] | None, schemas: dict[str, Any]) -> str:
    if schema is None:
        return ""
    if "$ref" in schema:
        target = schemas[_name(schema["$ref"])]
        return f"<h4>{title}: {_link(schema['$ref'])}</h4>{properties_table(target)}"
    if "allOf" in schema:
        base, extra = schema["allOf"]
        fixed = "; ".join(f"<code>{escape(k)}</code>: {type_of(v)}"
                          for k, v in extra["properties"].items())
        return f"<h4>{title}: {_link(base['$ref'])} with</h4><p>{fixed}</p>"
    return f"<h4>{title}</h4><p>{escape(str(schema.get('description', '')))}</p>"


def _message(name: str, message: dict[str, Any], schemas: dict[str, Any]) -> str:
    key = message.get("bindings", {}).get("kafka", {}).get("key", {})
    return (f'<h3 id="message-{escape(name)}">{escape(message.get("title", name))}</h3>'
            f"<p>{escape(message.get('summary', ''))}</p>"
            f"<h4>Key</h4><p>{escape(str(key.get('description', '')))}</p>"
            + _part("Headers", message.get("headers"), schemas)
            + _part("Value (JSON)", message.get("payload"), schemas))


def _channel(cid: str, channel: dict[str, Any], components: dict[str, Any]) -> str:
    kafka = channel["bindings"]["kafka"]
    doing = "; ".join(f"{escape(d)} ({a})" for a, c, d in OPERATIONS.values() if c == cid)
    messages = "".join(_message(_name(m["$ref"]), components["messages"][_name(m["$ref"])],
                                components["schemas"]) for m in channel["messages"].values())
    return (f'<h2 id="channel-{escape(cid)}"><code>{escape(channel["address"])}</code></h2>'
            f"<p>{escape(channel['description'])}</p>"
            f"<p>Partitions: {kafka['partitions']}. {doing}</p>{messages}")


def render(doc: dict[str, Any]) -> str:
    """The whole document as one HTML page."""
    components = doc["components"]
    contents = "".join(f'<li><a href="#channel-{escape(c)}"><code>{escape(ch["address"])}'
                       "</code></a></li>" for c, ch in doc["channels"].items())
    channels = "".join(_channel(c, ch, components) for c, ch in doc["channels"].items())
    schemas = "".join(
        f'<h3 id="schema-{escape(name)}">{escape(name)}</h3>'
        f"<p>{escape(str(schema.get('description', '')))}</p>{properties_table(schema)}"
        for name, schema in components["schemas"].items())
    info, server = doc["info"], doc["servers"]["kafka"]
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>"
            f"{escape(info['title'])}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(info['title'])} (AsyncAPI {escape(doc['asyncapi'])})</h1>"
            f"<p>{escape(info['description'])}</p><p>Kafka: <code>{escape(server['host'])}"
            '</code>. Machine-readable: <a href="asyncapi.yaml">asyncapi.yaml</a>, '
            f'<a href="asyncapi.json">asyncapi.json</a>.</p><ul>{contents}</ul>{channels}'
            f"<h2>Schemas</h2>{schemas}</body></html>")


def asyncapi_router(doc: dict[str, Any]) -> APIRouter:
    """Serve ``doc`` (built once, from the models and the configured topics)."""
    router = APIRouter(tags=["documentation"])
    page, text = render(doc), as_yaml(doc)

    @router.get("/asyncapi", response_class=HTMLResponse)
    async def asyncapi_page() -> HTMLResponse:
        """The Kafka contracts (AsyncAPI 3.0), readable offline."""
        return HTMLResponse(page)

    @router.get("/asyncapi.json")
    async def asyncapi_json() -> JSONResponse:
        """The AsyncAPI 3.0 document as JSON."""
        return JSONResponse(doc)

    @router.get("/asyncapi.yaml", response_class=PlainTextResponse)
    async def asyncapi_yaml() -> PlainTextResponse:
        """The AsyncAPI 3.0 document as YAML."""
        return PlainTextResponse(text, media_type="application/yaml")

    return router
