//! `trivy-scan` with the exploitability and hygiene inputs: VEX applies to the counts (and so
//! to metrics and gate alike); KEV, EPSS and the other hygiene SLIs reach `--slo`; a Grype
//! report's own KEV and EPSS data is used without a file; feeds are checked before the scan.

use std::path::{Path, PathBuf};

use serde_json::Value;
use test_support::cli::Run;
use test_support::fixtures::fixture;

const NOW: &str = "2025-09-01T00:00:00Z";

fn trivy_scan(dir: &Path, args: &[&str]) -> Run {
    let mut all: Vec<&std::ffi::OsStr> = vec!["--format".as_ref(), "json".as_ref()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    Run::capture(|| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"));
        for var in test_support::cli::CALLER_ENV {
            cmd.env_remove(var);
        }
        cmd.args(&all)
            .current_dir(dir)
            .stdin(std::process::Stdio::null())
            .output()
    })
}

fn kev() -> PathBuf {
    fixture("corpus/kev/known_exploited_vulnerabilities.json")
}

fn slo(dir: &Path, body: &str) -> String {
    std::fs::write(dir.join("slo.yaml"), body).unwrap();
    "slo.yaml".to_owned()
}

fn values(gate: &Value) -> Vec<(String, Value)> {
    gate["evaluation"]["indicatorResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["value"]["metric"].as_str().unwrap().to_owned(),
                if i["value"]["success"] == Value::Bool(true) {
                    i["value"]["value"].clone()
                } else {
                    Value::String(i["value"]["message"].as_str().unwrap_or("").to_owned())
                },
            )
        })
        .collect()
}

#[test]
fn kev_gate_on_a_report_records_the_catalogue_and_the_finding() {
    let dir = tempfile::tempdir().unwrap();
    let slo = slo(
        dir.path(),
        "objectives:\n  - sli: kev_vulnerabilities_total\n    pass:\n      - criteria: [\"=0\"]\ntotal_score:\n  pass: \"90%\"\n",
    );
    let report = fixture("trivy-reports/jar-in-debian-image-spring4shell.json");
    let r = trivy_scan(
        dir.path(),
        &[
            "--report",
            report.to_str().unwrap(),
            "--kev",
            kev().to_str().unwrap(),
            "--now",
            NOW,
            "--slo",
            &slo,
        ],
    );
    assert_eq!(r.code, Some(1), "{r:#?}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        values(&v["gate"]),
        vec![("kev_vulnerabilities_total".to_owned(), Value::from(1))]
    );
    assert_eq!(v["gate"]["feeds"][0]["version"], "2025.08.25");
    assert_eq!(v["gate"]["kev"][0]["id"], "CVE-2022-22965");
}

#[test]
fn vex_changes_the_counts_the_metrics_and_the_gate_alike() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("vex.json"),
        r#"{"@context": "https://openvex.dev/ns/v0.2.0", "timestamp": "2024-01-01T00:00:00Z",
  "statements": [{"vulnerability": {"name": "CVE-2021-3711"},
    "products": [{"@id": "pkg:apk/alpine/libssl1.1"}, {"@id": "pkg:apk/alpine/libcrypto1.1"}],
    "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}"#,
    )
    .unwrap();
    let slo = slo(
        dir.path(),
        "objectives:\n  - sli: vulnerabilities_critical\n    pass:\n      - criteria: [\"<5\"]\n  - sli: suppressed_vex_total\ntotal_score:\n  pass: \"90%\"\n",
    );
    let report = fixture("trivy-reports/generated-0.76-image-alpine-3.14.json");
    let r = trivy_scan(
        dir.path(),
        &[
            "--report",
            report.to_str().unwrap(),
            "--vex",
            "vex.json",
            "--sink",
            "stdout",
            "--slo",
            &slo,
        ],
    );
    assert_eq!(r.code, Some(0), "{r:#?}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    // 6 criticals in the fixture, CVE-2021-3711 in libssl1.1 and libcrypto1.1 suppressed.
    assert_eq!(v["counts"]["CRITICAL"], 4, "{v:#}");
    assert_eq!(v["total"], 27, "{v:#}");
    // The metric pushed is the suppressed count too.
    let critical = v["metrics"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["attributes"]["vulnerability.severity"] == "CRITICAL")
        .unwrap();
    assert_eq!(critical["value"], 4.0, "{v:#}");
    assert_eq!(
        values(&v["gate"]),
        vec![
            ("vulnerabilities_critical".to_owned(), Value::from(4)),
            ("suppressed_vex_total".to_owned(), Value::from(2)),
        ]
    );
    assert_eq!(v["gate"]["vex"][0]["count"], 2);
}

#[test]
fn a_grype_report_brings_its_own_kev_and_epss() {
    let dir = tempfile::tempdir().unwrap();
    let slo = slo(
        dir.path(),
        "objectives:\n  - sli: kev_vulnerabilities_critical\n  - sli: kev_vulnerabilities_total\n  - sli: epss_vulnerabilities_total\n  - sli: epss_max\n  - sli: kev_ransomware_total\n  - sli: os_eol\ntotal_score:\n  pass: \"90%\"\n",
    );
    let report = fixture("corpus/grype/grype-presenter-image.golden.json");
    let r = trivy_scan(
        dir.path(),
        &[
            "--report",
            report.to_str().unwrap(),
            "--slo",
            &slo,
            "--allow-informational-only",
        ],
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let got = values(&v["gate"]);
    assert_eq!(
        got[0],
        ("kev_vulnerabilities_critical".to_owned(), Value::from(1))
    );
    assert_eq!(
        got[1],
        ("kev_vulnerabilities_total".to_owned(), Value::from(1))
    );
    // Scores 0.03 and 0.08: none at the default threshold 0.1.
    assert_eq!(
        got[2],
        ("epss_vulnerabilities_total".to_owned(), Value::from(0))
    );
    assert_eq!(got[3], ("epss_max".to_owned(), Value::from(0.08)));
    assert!(got[4].1.as_str().unwrap().contains("--kev FILE"), "{got:?}");
    assert!(
        got[5]
            .1
            .as_str()
            .unwrap()
            .contains("grype-json report does not say"),
        "{got:?}"
    );
}

#[test]
fn a_bad_feed_fails_before_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("epss.csv"), "cve,epss,percentile\n").unwrap();
    // No image, no trivy: the feed is checked first.
    let r = trivy_scan(
        dir.path(),
        &[
            "--epss",
            "epss.csv",
            "--trivy-bin",
            "/nonexistent/trivy",
            "img:1",
        ],
    );
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(
        r.stderr.contains("invalid EPSS file epss.csv, line 1"),
        "{r:#?}"
    );
}

#[test]
fn with_a_feed_the_measured_hygiene_slis_are_published() {
    let dir = tempfile::tempdir().unwrap();
    let report = fixture("trivy-reports/jar-in-debian-image-spring4shell.json");
    let r = trivy_scan(
        dir.path(),
        &[
            "--report",
            report.to_str().unwrap(),
            "--kev",
            kev().to_str().unwrap(),
            "--now",
            NOW,
            "--sink",
            "stdout",
        ],
    );
    assert_eq!(r.code, Some(0), "{r:#?}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let slis: Vec<(String, f64)> = v["metrics"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["name"] == "vulngate.sli")
        .map(|l| {
            (
                l["attributes"]["sli"].as_str().unwrap().to_owned(),
                l["value"].as_f64().unwrap(),
            )
        })
        .collect();
    let get = |n: &str| slis.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
    assert_eq!(get("kev_vulnerabilities_critical"), Some(1.0), "{slis:?}");
    assert_eq!(get("kev_vulnerabilities_total"), Some(1.0), "{slis:?}");
    assert_eq!(get("suppressed_vex_total"), Some(0.0), "{slis:?}");
    // Not measured without --epss: left out, not sent as 0.
    assert_eq!(get("epss_max"), None, "{slis:?}");
    // Without a feed nothing beyond the counts is published.
    let r = trivy_scan(
        dir.path(),
        &["--report", report.to_str().unwrap(), "--sink", "stdout"],
    );
    assert!(!r.stdout.contains("vulngate.sli"), "{r:#?}");
}

/// The hygiene SLIs reach the strict Dynatrace fake, a real Pushgateway and the OTLP receiver.
#[test]
fn hygiene_slis_reach_every_backend() {
    use test_support::dynatrace::{FakeDynatrace, TOKEN};
    use test_support::otlp::{FakeOtlp, points};
    use test_support::prometheus::Pushgateway;

    let dt = FakeDynatrace::start();
    let otlp = FakeOtlp::start();
    let pg = Pushgateway::start().expect("pushgateway");
    let dir = tempfile::tempdir().unwrap();
    let report = fixture("trivy-reports/jar-in-debian-image-spring4shell.json");
    let r = Run::capture(|| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"));
        for var in test_support::cli::CALLER_ENV {
            cmd.env_remove(var);
        }
        cmd.current_dir(dir.path())
            .arg("--report")
            .arg(&report)
            .arg("spring4shell:1")
            .arg("--kev")
            .arg(kev())
            .args(["--now", NOW])
            .args([
                "--sink",
                "dynatrace",
                "--sink",
                "pushgateway",
                "--sink",
                "otlp",
            ])
            .arg("--dynatrace-url")
            .arg(dt.url())
            .arg("--pushgateway-url")
            .arg(pg.url())
            .arg("--otlp-endpoint")
            .arg(otlp.metrics_url())
            .env("METRICS_API_TOKEN", TOKEN)
            .stdin(std::process::Stdio::null())
            .output()
    });
    assert_eq!(r.code, Some(0), "{r:#?}");
    let dt_lines = dt.lines();
    assert!(
        dt_lines.contains(
            &"vulngate.sli,sli=\"kev_vulnerabilities_total\",image=\"spring4shell\",tag=\"1\" 1"
                .to_owned()
        ),
        "{dt_lines:#?}"
    );
    assert!(
        !dt_lines.iter().any(|l| l.contains("epss")),
        "{dt_lines:#?}"
    );
    let pg_series = pg.series("vulngate_sli").unwrap();
    assert!(
        pg_series
            .iter()
            .any(|l| l.contains("sli=\"kev_vulnerabilities_critical\"") && l.ends_with(" 1")),
        "{pg_series:#?}"
    );
    let received = otlp.received();
    assert_eq!(received.len(), 1);
    let sli_points: Vec<_> = points(&received[0].request)
        .into_iter()
        .filter(|p| p.metric == "vulngate.sli")
        .collect();
    assert!(
        sli_points.iter().any(|p| p
            .attributes
            .contains(&("sli".to_owned(), "kev_ransomware_total".to_owned()))),
        "{sli_points:#?}"
    );
    assert_eq!(sli_points.len(), pg_series.len());
}
