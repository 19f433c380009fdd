//! sli.yaml query strings: placeholder substitution (as Keptn's SLI providers do it) and the
//! Dynatrace `metricSelector=…&resolution=…` format.

use std::collections::BTreeMap;

use crate::Window;

/// What the placeholders of an sli.yaml query are replaced with.
///
/// Keptn fills these from the `get-sli.triggered` event; the local gate takes them from flags
/// (`--project`, `--stage`, `--service`, `--deployment`, `--label k=v`) and from the slo.yaml
/// `filter` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryContext {
    /// `$PROJECT`
    pub project: String,
    /// `$STAGE`
    pub stage: String,
    /// `$SERVICE`
    pub service: String,
    /// `$DEPLOYMENT`
    pub deployment: String,
    /// `$LABEL.<key>`
    pub labels: BTreeMap<String, String>,
    /// The slo.yaml `filter` map (Keptn's `customFilters`): `$<key>` and `$<KEY>`.
    pub filters: Vec<(String, String)>,
}

/// Replaces the placeholders in `query` the way keptn-contrib/prometheus-service does
/// (`replaceQueryParameters`): custom filters first (`$key` and `$KEY`, quotes stripped from the
/// value), then `$PROJECT`, `$STAGE`, `$SERVICE`, `$DEPLOYMENT`, every `$LABEL.<key>`, and
/// `$DURATION_SECONDS` (window length, rounded up, with an `s` suffix: `300s`).
#[must_use]
pub fn substitute_prometheus(query: &str, ctx: &QueryContext, window: &Window) -> String {
    let mut q = substitute_common(query, ctx);
    let secs = window.duration_seconds_ceil();
    q = q.replace("$DURATION_SECONDS", &format!("{secs}s"));
    q
}

/// Replaces the placeholders in `query` as keptn-contrib/dynatrace-service does for the
/// variables that exist locally: custom filters, `$PROJECT`, `$STAGE`, `$SERVICE`,
/// `$DEPLOYMENT` and `$LABEL.<key>`.
#[must_use]
pub fn substitute_dynatrace(query: &str, ctx: &QueryContext) -> String {
    substitute_common(query, ctx)
}

fn substitute_common(query: &str, ctx: &QueryContext) -> String {
    let mut q = query.to_owned();
    for (key, value) in &ctx.filters {
        let value = value.replace(['\'', '"'], "");
        q = q.replace(&format!("${key}"), &value);
        q = q.replace(&format!("${}", key.to_uppercase()), &value);
    }
    q = q.replace("$PROJECT", &ctx.project);
    q = q.replace("$STAGE", &ctx.stage);
    q = q.replace("$SERVICE", &ctx.service);
    q = q.replace("$DEPLOYMENT", &ctx.deployment);
    for (key, value) in &ctx.labels {
        q = q.replace(&format!("$LABEL.{key}"), value);
    }
    q
}

/// One parsed Dynatrace sli.yaml query (`metricSelector=…&entitySelector=…&resolution=…&mzSelector=…`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DynatraceQuery {
    /// `metricSelector` (required).
    pub metric_selector: String,
    /// `entitySelector`, if given.
    pub entity_selector: Option<String>,
    /// `resolution`, if given.
    pub resolution: Option<String>,
    /// `mzSelector`, if given.
    pub mz_selector: Option<String>,
}

/// Parses a Dynatrace sli.yaml query the way dynatrace-service's `QueryParsing` does: an
/// un-encoded `key=value&key=value` string, keys limited to `metricSelector`,
/// `entitySelector`, `resolution` and `mzSelector`, no duplicates, no empty values.
///
/// The value is split at the first `=` only, so selectors that contain `=` survive.
///
/// # Errors
/// A message saying what is wrong, used as the failed SLI's message.
pub fn parse_dynatrace_query(raw: &str) -> Result<DynatraceQuery, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("empty metric definition".to_owned());
    }
    if raw.starts_with("MV2;")
        || raw.starts_with("USQL;")
        || raw.starts_with("SLO;")
        || raw.starts_with("PV2;")
        || raw.starts_with("SECPV2;")
    {
        return Err(format!(
            "unsupported query type `{}`: only Metrics API v2 `metricSelector=` queries are supported",
            raw.split(';').next().unwrap_or_default()
        ));
    }
    let raw = raw.strip_prefix('?').unwrap_or(raw);
    let mut q = DynatraceQuery::default();
    let mut seen: Vec<&str> = Vec::new();
    for chunk in raw.split('&') {
        let chunk = chunk.trim();
        if chunk.is_empty() {
            return Err("empty 'key=value' pair".to_owned());
        }
        let Some((key, value)) = chunk.split_once('=') else {
            return Err(format!(
                "could not parse 'key=value' pair correctly: {chunk}"
            ));
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || value.is_empty() {
            return Err(format!(
                "could not parse 'key=value' pair correctly: {chunk}"
            ));
        }
        if seen.contains(&key) {
            return Err(format!("duplicate query parameter '{key}'"));
        }
        seen.push(key);
        match key {
            "metricSelector" => value.clone_into(&mut q.metric_selector),
            "entitySelector" => q.entity_selector = Some(value.to_owned()),
            "resolution" => q.resolution = Some(value.to_owned()),
            "mzSelector" => q.mz_selector = Some(value.to_owned()),
            other => return Err(format!("unknown key in 'key=value' pair: {other}")),
        }
    }
    if q.metric_selector.is_empty() {
        return Err("metrics query must include a metric selector".to_owned());
    }
    Ok(q)
}

/// The metric key a selector starts with: `trivy.vulnerabilities.CRITICAL` for
/// `trivy.vulnerabilities.CRITICAL:merge("image"):max`. A quoted key (`"my key":max`) is
/// unquoted. `None` when the selector is not a single plain key with transformations (a comma
/// list, a `prefix.(a,b)` group, or a nested expression).
#[must_use]
pub fn selector_metric_key(selector: &str) -> Option<String> {
    let s = selector.trim();
    if let Some(rest) = s.strip_prefix('"') {
        // Quoted key: `~"` and `~~` are escapes.
        let mut key = String::new();
        let mut chars = rest.chars();
        loop {
            match chars.next()? {
                '~' => key.push(chars.next()?),
                '"' => break,
                c => key.push(c),
            }
        }
        let tail: String = chars.collect();
        return (tail.is_empty() || tail.starts_with(':')).then_some(key);
    }
    // Built-in and extension keys carry their own `prefix:` (`builtin:service.response.time`).
    let skip = ["builtin:", "ext:", "calc:", "func:", "dsfm:"]
        .iter()
        .find(|p| s.starts_with(*p))
        .map_or(0, |p| p.len());
    let end = s[skip..].find(':').map_or(s.len(), |i| i + skip);
    let key = &s[..end];
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'));
    plain.then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(secs: i64) -> Window {
        let end = jiff::Timestamp::from_second(1_700_000_000).unwrap();
        let start = end - jiff::SignedDuration::from_secs(secs);
        Window { start, end }
    }

    #[test]
    fn prometheus_placeholders_like_prometheus_service() {
        let ctx = QueryContext {
            project: "sockshop".into(),
            stage: "prod".into(),
            service: "carts".into(),
            deployment: "primary".into(),
            labels: [("image".to_owned(), "nginx".to_owned())].into(),
            filters: vec![("handler".into(), "'Items'".into())],
        };
        let q = "rate(x{job=\"$SERVICE-$PROJECT-$STAGE-$DEPLOYMENT\",h=\"$handler\",H=\"$HANDLER\",img=\"$LABEL.image\"}[$DURATION_SECONDS])";
        assert_eq!(
            substitute_prometheus(q, &ctx, &window(300)),
            "rate(x{job=\"carts-sockshop-prod-primary\",h=\"Items\",H=\"Items\",img=\"nginx\"}[300s])"
        );
    }

    #[test]
    fn duration_rounds_up_like_math_ceil() {
        let end = jiff::Timestamp::from_second(1_700_000_000).unwrap();
        let start = end - jiff::SignedDuration::from_millis(299_001);
        let w = Window { start, end };
        assert_eq!(
            substitute_prometheus("$DURATION_SECONDS", &QueryContext::default(), &w),
            "300s"
        );
    }

    #[test]
    fn dynatrace_query_forms() {
        let q = parse_dynatrace_query("metricSelector=trivy.vulnerabilities.CRITICAL").unwrap();
        assert_eq!(q.metric_selector, "trivy.vulnerabilities.CRITICAL");
        assert_eq!(q.resolution, None);
        let q = parse_dynatrace_query(
            "metricSelector=builtin:service.response.time:merge(\"dt.entity.service\"):percentile(95)&entitySelector=type(SERVICE),tag(keptn_project:p)&resolution=Inf",
        )
        .unwrap();
        assert_eq!(q.resolution.as_deref(), Some("Inf"));
        assert_eq!(
            q.entity_selector.as_deref(),
            Some("type(SERVICE),tag(keptn_project:p)")
        );
        for bad in [
            "",
            "metricSelector=",
            "metricSelector=a&metricSelector=b",
            "foo=bar",
            "resolution=Inf",
            "metricSelector=a&&resolution=Inf",
            "MV2;MicroSecond;metricSelector=x",
            "justtext",
        ] {
            assert!(parse_dynatrace_query(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metric_keys() {
        assert_eq!(
            selector_metric_key("trivy.vulnerabilities.CRITICAL:merge(\"image\"):max").as_deref(),
            Some("trivy.vulnerabilities.CRITICAL")
        );
        assert_eq!(
            selector_metric_key("trivy.vulnerabilities.total").as_deref(),
            Some("trivy.vulnerabilities.total")
        );
        assert_eq!(
            selector_metric_key("\"a ~\"b\":max").as_deref(),
            Some("a \"b")
        );
        assert_eq!(
            selector_metric_key("builtin:service.response.time:merge(\"x\"):avg").as_deref(),
            Some("builtin:service.response.time")
        );
        assert_eq!(selector_metric_key("trivy.(a,b)"), None);
        assert_eq!(selector_metric_key("a,b"), None);
        assert_eq!(selector_metric_key(""), None);
    }
}
