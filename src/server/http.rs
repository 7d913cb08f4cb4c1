//! HTTP: `GET /health`, `GET /metrics` (Prometheus text), `POST /query` (JSON in and out).
//!
//! `POST /query` takes `{"sql": "..."}` and answers
//! `{"columns": [{"name": .., "type": ..}], "rows": [[..], ..]}`: numbers as JSON numbers
//! (decimals written with their scale, `1.50`), NULL as `null`, dates as `"YYYY-MM-DD"`
//! strings, NaN and infinities as strings. Each request runs in a new session (starting from
//! the served handle's settings), so a transaction cannot outlive it. Errors:
//! `{"error": .., "sqlstate": ..}` with status 400 (bad JSON, failing SQL) or 500 (the
//! server's fault).

use super::disconnect::Peer;
use super::exec;
use super::run::State;
use super::sqlstate;
use crate::{QueryResult, Value};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::fmt::Write;
use std::sync::Arc;
use tokio::net::TcpStream;

/// Largest `/query` body accepted.
const MAX_BODY: usize = 16 << 20;

/// Serves one HTTP connection (keep-alive included). A client that goes away while its
/// query runs has the query cancelled (`disconnect::Peer`).
pub async fn serve(state: Arc<State>, socket: TcpStream) {
    let peer = Arc::new(Peer::of(&socket));
    let service = service_fn(move |request| handle(state.clone(), peer.clone(), request));
    // Errors here are the client's going away or sending garbage: nothing to report.
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(socket), service)
        .await;
}

async fn handle(
    state: Arc<State>,
    peer: Arc<Peer>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path();
    Ok(match (request.method(), path) {
        (&Method::GET, "/health") if state.closing() => reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            "shutting down",
        ),
        (&Method::GET, "/health") => reply(StatusCode::OK, "text/plain", "ok"),
        (&Method::GET, "/metrics") => {
            let text = state.metrics.render(
                &state.db.cache_stats(),
                state.in_flight(),
                grizzly_runtime::storage::bytes_scanned(),
            );
            reply(StatusCode::OK, "text/plain; version=0.0.4", text)
        }
        (&Method::POST, "/query") => query(state, &peer, request).await,
        (_, "/health" | "/metrics") => not_allowed("GET"),
        (_, "/query") => not_allowed("POST"),
        _ => error(
            StatusCode::NOT_FOUND,
            &format!("no such endpoint: {path}"),
            None,
        ),
    })
}

async fn query(
    state: Arc<State>,
    peer: &Peer,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    if state.closing() {
        let message = "the server is shutting down";
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            message,
            Some(sqlstate::ADMIN_SHUTDOWN),
        );
    }
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("cannot read the body: {e}"),
                None,
            )
        }
    };
    let sql = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Object(mut fields)) => match fields.remove("sql") {
            Some(serde_json::Value::String(sql)) => sql,
            _ => return error(StatusCode::BAD_REQUEST, "expected {\"sql\": \"...\"}", None),
        },
        Ok(_) => return error(StatusCode::BAD_REQUEST, "expected {\"sql\": \"...\"}", None),
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("invalid JSON: {e}"), None),
    };
    let run_state = state.clone();
    let session = state.db.connect_with_settings();
    let interrupt = session.interrupt_handle();
    let work = exec::blocking(&state, move || {
        exec::timed(&run_state, || session.query(&sql))
    });
    let result = peer.watch(&interrupt, work).await;
    match result {
        Ok(result) => reply(StatusCode::OK, "application/json", to_json(&result)),
        Err(e) => {
            let status = if sqlstate::is_server_fault(&e) {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::BAD_REQUEST
            };
            error(status, &e.to_string(), Some(sqlstate::of(&e)))
        }
    }
}

/// The JSON of a result, written directly so decimals keep their exact digits and scale.
fn to_json(result: &QueryResult) -> String {
    let mut out = String::from("{\"columns\":[");
    for (i, c) in result.columns().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"name\":{},\"type\":{}}}",
            json_string(&c.name),
            json_string(&c.ty.to_string())
        );
    }
    out.push_str("],\"rows\":[");
    for row in 0..result.row_count() {
        out.push_str(if row > 0 { ",[" } else { "[" });
        for col in 0..result.columns().len() {
            if col > 0 {
                out.push(',');
            }
            write_value(&mut out, &result.value(row, col));
        }
        out.push(']');
    }
    out.push_str("]}");
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Float64(v) if !v.is_finite() => out.push_str(&json_string(&v.to_string())),
        Value::Int32(_) | Value::Int64(_) | Value::Float64(_) | Value::Decimal(..) => {
            let _ = write!(out, "{value}");
        }
        Value::Date(_) | Value::Varchar(_) => out.push_str(&json_string(&value.to_string())),
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn reply(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn error(status: StatusCode, message: &str, code: Option<&str>) -> Response<Full<Bytes>> {
    let mut body = serde_json::json!({ "error": message });
    if let Some(code) = code {
        body["sqlstate"] = code.into();
    }
    reply(status, "application/json", body.to_string())
}

fn not_allowed(allow: &'static str) -> Response<Full<Bytes>> {
    let mut response = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed", None);
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Database;

    #[test]
    fn json_keeps_decimal_scale_and_nulls() {
        let db = Database::in_memory();
        let result = db
            .query("SELECT CAST(1.5 AS DECIMAL(10,2)) AS d, NULL AS n, 'a\"b' AS s, DATE '2024-01-02' AS t, 7 AS i")
            .unwrap();
        let json = to_json(&result);
        assert!(
            json.contains("\"rows\":[[1.50,null,\"a\\\"b\",\"2024-01-02\",7]]"),
            "{json}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["columns"][0]["type"], "DECIMAL(10,2)");
    }
}
