//! Against the real Pushgateway, scraped by a real Prometheus.

use std::collections::BTreeMap;
use std::time::Duration;

use metrics_sink::{MetricsSink, PushgatewayConfig, PushgatewaySink, SinkErrorKind, Url};
use test_support::prometheus::{Prometheus, Pushgateway};

use crate::{ALPINE, ALPINE_IMAGE, assert_accounted, fast_retry, snapshot};

/// A sample line of the exposition: labels and value.
fn parse_series(line: &str) -> (BTreeMap<String, String>, f64) {
    let open = line.find('{').unwrap();
    let close = line.rfind('}').unwrap();
    let mut labels = BTreeMap::new();
    // Values in our tests hold no `",` sequences, so a simple split is exact here.
    for pair in line[open + 1..close].split("\",") {
        let (k, v) = pair.split_once("=\"").unwrap();
        labels.insert(k.to_owned(), v.trim_end_matches('"').to_owned());
    }
    (labels, line[close + 1..].trim().parse().unwrap())
}

fn sink(pg: &Pushgateway) -> PushgatewaySink {
    let mut c = PushgatewayConfig::new(Url::parse(&pg.url()).unwrap());
    c.retry = fast_retry(2);
    PushgatewaySink::new(c).unwrap()
}

fn expected(sevs: &[&str]) -> Vec<String> {
    sevs.iter()
        .map(|s| format!("trivy_image_vulnerabilities{{severity=\"{s}\"}}"))
        .collect()
}

#[tokio::test]
async fn push_read_back_replace_and_query_through_prometheus() {
    let pg = Pushgateway::start().unwrap();
    let prom = Prometheus::start_scraping(&pg).unwrap();
    let sink = sink(&pg);

    // 1. The fixture scan: five series, each with Trivy Operator's labels.
    let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_accounted(
        &expected(&["Critical", "High", "Medium", "Low", "Unknown"]),
        &result,
    );
    let series = pg.series("trivy_image_vulnerabilities").unwrap();
    assert_eq!(series.len(), 5, "{series:?}\n{}", pg.log());
    let want: BTreeMap<&str, f64> = [
        ("Critical", 6.0),
        ("High", 9.0),
        ("Medium", 10.0),
        ("Low", 2.0),
        ("Unknown", 2.0),
    ]
    .into();
    for line in &series {
        let (labels, value) = parse_series(line);
        assert_eq!(labels["job"], "vulngate", "{line}");
        assert_eq!(labels["image_registry"], "127.0.0.1:5000", "{line}");
        assert_eq!(
            labels["image_repository"], "fixture/alpine-vulnerable",
            "{line}"
        );
        assert_eq!(labels["image_tag"], "3.14", "{line}");
        assert_eq!(value, want[labels["severity"].as_str()], "{line}");
    }
    let text = pg.metrics_text().unwrap();
    assert!(
        text.contains("# TYPE trivy_image_vulnerabilities gauge"),
        "{text}"
    );
    assert!(
        text.contains(
            "# HELP trivy_image_vulnerabilities Number of container image vulnerabilities"
        )
    );

    // 2. Prometheus answers the gate's query.
    let q = r#"trivy_image_vulnerabilities{severity="Critical"}"#;
    assert_eq!(
        prom.wait_for_value(q, Duration::from_secs(30)).unwrap(),
        6.0,
        "{}",
        prom.log()
    );

    // 3. Another image gets its own group (Docker Hub name, library/ prefix).
    sink.push(&snapshot("nginx:1.21.1", &[("CRITICAL", 8)]))
        .await
        .unwrap();

    // 4. Re-scan of the fixture image with other counts and fewer severities: its group is
    //    replaced, no stale series remain.
    let result = sink
        .push(&snapshot(ALPINE_IMAGE, &[("CRITICAL", 1), ("HIGH", 4)]))
        .await;
    assert_accounted(&expected(&["Critical", "High"]), &result);
    let series = pg.series("trivy_image_vulnerabilities").unwrap();
    let mine: Vec<_> = series
        .iter()
        .map(|l| parse_series(l))
        .filter(|(l, _)| l["image_repository"] == "fixture/alpine-vulnerable")
        .map(|(l, v)| (l["severity"].clone(), v))
        .collect();
    assert_eq!(
        mine,
        [("Critical".to_owned(), 1.0), ("High".to_owned(), 4.0)],
        "{series:?}"
    );
    let nginx: Vec<_> = series
        .iter()
        .map(|l| parse_series(l))
        .filter(|(l, _)| l["image_repository"] == "library/nginx")
        .collect();
    assert_eq!(nginx.len(), 1, "{series:?}");
    assert_eq!(nginx[0].0["image_registry"], "index.docker.io");
    assert_eq!(nginx[0].1, 8.0);

    let mine_q = r#"trivy_image_vulnerabilities{image_repository="fixture/alpine-vulnerable",severity="Critical"}"#;
    prom.wait_for(mine_q, Some(1.0), Duration::from_secs(30))
        .unwrap();
    let medium = r#"trivy_image_vulnerabilities{image_repository="fixture/alpine-vulnerable",severity="Medium"}"#;
    prom.wait_for(medium, None, Duration::from_secs(30))
        .unwrap();
    let total = r#"sum(trivy_image_vulnerabilities{image_repository="fixture/alpine-vulnerable"})"#;
    prom.wait_for(total, Some(5.0), Duration::from_secs(30))
        .unwrap();
}

#[tokio::test]
async fn an_inconsistent_push_is_rejected_with_the_gateway_reason() {
    let pg = Pushgateway::start().unwrap();
    // Another group already holds the name as a counter: the gateway refuses our gauge (400).
    pg.push_text(
        "/metrics/job/other",
        "# TYPE trivy_image_vulnerabilities counter\ntrivy_image_vulnerabilities 1\n",
    )
    .unwrap();
    let result = sink(&pg)
        .push(&snapshot("nginx:1", &[("CRITICAL", 1), ("LOW", 2)]))
        .await;
    assert_accounted(&expected(&["Critical", "Low"]), &result);
    let err = result.unwrap_err();
    assert_eq!(err.kind, SinkErrorKind::Rejected);
    assert!(err.message.contains("400"), "{err}");
}

#[tokio::test]
async fn an_unreachable_gateway_names_every_series() {
    let mut c = PushgatewayConfig::new(
        Url::parse(&format!("http://{}", test_support::net::refused_addr())).unwrap(),
    );
    c.retry = fast_retry(2);
    let result = PushgatewaySink::new(c)
        .unwrap()
        .push(&snapshot(ALPINE_IMAGE, &ALPINE))
        .await;
    assert_accounted(
        &expected(&["Critical", "High", "Medium", "Low", "Unknown"]),
        &result,
    );
    assert_eq!(result.unwrap_err().kind, SinkErrorKind::Unavailable);
}
