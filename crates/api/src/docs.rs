//! A browsable API reference rendered on the server from the OpenAPI document:
//! no JavaScript, no CDN, works offline.

use axum::response::Html;
use std::fmt::Write;
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::{RefOr, Schema};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn method_name(m: &HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Head => "HEAD",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Trace => "TRACE",
    }
}

fn schema_ref(r: &RefOr<Schema>) -> String {
    let json = serde_json::to_value(r).unwrap_or_default();
    fn name(v: &serde_json::Value) -> Option<String> {
        if let Some(r) = v.get("$ref").and_then(|r| r.as_str()) {
            let n = r.rsplit('/').next().unwrap_or(r);
            return Some(format!("<a href=\"#schema-{n}\">{n}</a>"));
        }
        if let Some(items) = v.get("items") {
            return name(items).map(|n| format!("[{n}]"));
        }
        v.get("type").map(|t| t.to_string().replace('"', ""))
    }
    name(&json).unwrap_or_else(|| "object".into())
}

/// `GET /api/v1/docs`
pub async fn page() -> Html<String> {
    let doc = crate::openapi::document();
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>kefu API reference</title>\
         <style>body{{font:15px/1.5 system-ui,\"PingFang SC\",\"Microsoft YaHei\",sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#1d2433}}\
         .op{{border:1px solid #dde3ee;border-radius:6px;margin:.6em 0;padding:.5em .8em}}\
         .m{{display:inline-block;min-width:4.5em;font-weight:600;font-family:monospace}}\
         .GET{{color:#0a7}}.POST{{color:#06c}}.PUT,.PATCH{{color:#b60}}.DELETE{{color:#c33}}\
         code,pre{{background:#f4f6fa;border-radius:4px;padding:.1em .3em}}pre{{padding:.6em;overflow:auto}}\
         table{{border-collapse:collapse}}td{{padding:.1em .8em .1em 0;vertical-align:top}}</style></head><body>\
         <h1>{}</h1><p>{}</p><p>Machine-readable: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a></p>",
        esc(&doc.info.title),
        esc(doc.info.description.as_deref().unwrap_or(""))
    );
    for (path, item) in doc.paths.paths.iter() {
        let ops = [
            (HttpMethod::Get, &item.get),
            (HttpMethod::Post, &item.post),
            (HttpMethod::Put, &item.put),
            (HttpMethod::Patch, &item.patch),
            (HttpMethod::Delete, &item.delete),
        ];
        for (m, op) in ops {
            let Some(op) = op else { continue };
            let name = method_name(&m);
            let _ = write!(
                out,
                "<div class=\"op\"><span class=\"m {name}\">{name}</span> <code>{}</code>",
                esc(path)
            );
            let desc = op
                .description
                .as_deref()
                .or(op.summary.as_deref())
                .unwrap_or("");
            let _ = write!(out, "<div>{}</div>", esc(desc));
            if let Some(body) = &op.request_body {
                for (ct, content) in body.content.iter() {
                    let _ = write!(
                        out,
                        "<div>Body <code>{}</code>: {}</div>",
                        esc(ct),
                        schema_ref(&content.schema.clone().unwrap_or_default())
                    );
                }
            }
            out.push_str("<table>");
            for (status, resp) in op.responses.responses.iter() {
                let (desc, schema) = match resp {
                    RefOr::T(r) => (
                        r.description.clone(),
                        r.content
                            .values()
                            .next()
                            .and_then(|c| c.schema.as_ref())
                            .map(schema_ref)
                            .unwrap_or_default(),
                    ),
                    RefOr::Ref(r) => (r.ref_location.clone(), String::new()),
                };
                let _ = write!(
                    out,
                    "<tr><td><b>{}</b></td><td>{}</td><td>{}</td></tr>",
                    esc(status),
                    schema,
                    esc(&desc)
                );
            }
            out.push_str("</table></div>");
        }
    }
    out.push_str("<h2>Schemas</h2>");
    if let Some(components) = &doc.components {
        for (name, schema) in components.schemas.iter() {
            let pretty = serde_json::to_string_pretty(schema).unwrap_or_default();
            let _ = write!(
                out,
                "<h3 id=\"schema-{0}\">{0}</h3><pre>{1}</pre>",
                esc(name),
                esc(&pretty)
            );
        }
    }
    out.push_str("</body></html>");
    Html(out)
}
