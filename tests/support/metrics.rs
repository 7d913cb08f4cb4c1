//! Reading the server's Prometheus text (`GET /metrics`) in tests.

/// The value of metric `name` (a line `name value`) in `text`; panics naming it if absent.
pub fn metric_value(text: &str, name: &str) -> f64 {
    let line = format!("\n{name} ");
    let start = text
        .find(&line)
        .unwrap_or_else(|| panic!("no {name}: {text}"))
        + line.len();
    let value = text[start..].lines().next().unwrap_or_default();
    value
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number: {value}"))
}
