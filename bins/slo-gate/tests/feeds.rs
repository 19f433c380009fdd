//! Exploitability and hygiene inputs end to end: the real KEV catalogue against real reports,
//! EPSS and VEX files the tests write, VEX cross-checked against real trivy, bad feeds, and
//! each hygiene SLI through the gate in every output format.
#![allow(missing_docs, clippy::print_stderr)]

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use test_support::fixtures::fixture;

const NOW: &str = "2025-09-01T00:00:00Z";

fn kev_file() -> PathBuf {
    fixture("corpus/kev/known_exploited_vulnerabilities.json")
}

fn gate(dir: &Path, args: &[&str]) -> Output {
    let mut c = assert_cmd::cargo::cargo_bin_cmd!("slo-gate");
    for v in test_support::cli::CALLER_ENV {
        c.env_remove(v);
    }
    c.current_dir(dir)
        .timeout(Duration::from_secs(60))
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// SLI name -> value of a JSON result (failed SLIs are absent).
fn values(v: &Value) -> BTreeMap<String, f64> {
    v["evaluation"]["indicatorResults"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["value"]["success"] == Value::Bool(true))
        .map(|i| {
            (
                i["value"]["metric"].as_str().unwrap().to_owned(),
                i["value"]["value"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// `slo-gate --slo SLO --allow-informational-only --report REPORT REST...`.
fn informational(dir: &Path, slo: &Path, report: &str, rest: &[&str]) -> Output {
    let mut args = vec![
        "--slo",
        slo.to_str().unwrap(),
        "--allow-informational-only",
        "--report",
        report,
    ];
    args.extend_from_slice(rest);
    gate(dir, &args)
}

fn informational_slo(dir: &Path, slis: &[&str]) -> PathBuf {
    let mut s = String::from("objectives:\n");
    for n in slis {
        s.push_str(&format!("  - sli: {n}\n"));
    }
    s.push_str("total_score:\n  pass: \"90%\"\n");
    let p = dir.join("slo.yaml");
    std::fs::write(&p, s).unwrap();
    p
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The expected KEV counts per severity, computed here from the two JSON files alone.
fn expected_kev(report: &Value, kev: &HashSet<String>) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let results = report["Results"].as_array().cloned().unwrap_or_default();
    for r in results {
        for v in r["Vulnerabilities"].as_array().cloned().unwrap_or_default() {
            let id = v["VulnerabilityID"].as_str().unwrap();
            if kev.contains(id) {
                *out.entry(v["Severity"].as_str().unwrap().to_lowercase())
                    .or_insert(0) += 1;
            }
        }
    }
    out
}

#[test]
fn the_real_kev_catalogue_against_real_trivy_reports() {
    let catalogue: Value = serde_json::from_slice(&std::fs::read(kev_file()).unwrap()).unwrap();
    let kev: HashSet<String> = catalogue["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["cveID"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kev.len(), 1404);
    let dir = tempfile::tempdir().unwrap();
    let slis = [
        "kev_vulnerabilities_critical",
        "kev_vulnerabilities_high",
        "kev_vulnerabilities_medium",
        "kev_vulnerabilities_low",
        "kev_vulnerabilities_unknown",
        "kev_vulnerabilities_total",
        "kev_ransomware_total",
    ];
    let slo = informational_slo(dir.path(), &slis);
    let mut with_kev = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(fixture("trivy-reports")).unwrap() {
        let path = entry.unwrap().path();
        let Ok(report) = serde_json::from_slice::<Value>(&std::fs::read(&path).unwrap()) else {
            continue;
        };
        if !report.is_object() || report.get("Results").is_none() {
            continue;
        }
        let out = informational(
            dir.path(),
            &slo,
            path.to_str().unwrap(),
            &[
                "--kev",
                kev_file().to_str().unwrap(),
                "--now",
                NOW,
                "--format",
                "json",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            path.display(),
            stderr(&out)
        );
        let got = values(&json(&out));
        let want = expected_kev(&report, &kev);
        for sev in ["critical", "high", "medium", "low", "unknown"] {
            assert_eq!(
                got[&format!("kev_vulnerabilities_{sev}")],
                want.get(sev).copied().unwrap_or(0) as f64,
                "{} {sev}",
                path.display()
            );
        }
        let total: u64 = want.values().sum();
        assert_eq!(
            got["kev_vulnerabilities_total"],
            total as f64,
            "{}",
            path.display()
        );
        if total > 0 {
            with_kev.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} reports checked");
    // Trivy's own spring4shell golden report holds CVE-2022-22965, which CISA lists.
    assert_eq!(with_kev, vec!["jar-in-debian-image-spring4shell.json"]);
}

#[test]
fn the_kev_finding_is_recorded_with_its_dates_and_the_catalogue_version() {
    let dir = tempfile::tempdir().unwrap();
    let slo = informational_slo(
        dir.path(),
        &["kev_vulnerabilities_total", "kev_ransomware_total"],
    );
    let out = gate(
        dir.path(),
        &[
            "--slo",
            slo.to_str().unwrap(),
            "--allow-informational-only",
            "--report",
            fixture("trivy-reports/jar-in-debian-image-spring4shell.json")
                .to_str()
                .unwrap(),
            "--kev",
            kev_file().to_str().unwrap(),
            "--now",
            NOW,
            "--format",
            "json",
        ],
    );
    let v = json(&out);
    assert_eq!(v["kev"][0]["id"], "CVE-2022-22965");
    assert_eq!(v["kev"][0]["date_added"], "2022-04-04");
    assert_eq!(v["kev"][0]["due_date"], "2022-04-25");
    assert_eq!(v["feeds"][0]["version"], "2025.08.25");
    assert_eq!(v["feeds"][0]["date"], "2025-08-25T17:04:19.9796Z");
    assert_eq!(v["feeds"][0]["entries"], 1404);
    assert_eq!(values(&v)["kev_ransomware_total"], 0.0);
    let text = informational(
        dir.path(),
        &slo,
        fixture("trivy-reports/jar-in-debian-image-spring4shell.json")
            .to_str()
            .unwrap(),
        &["--kev", kev_file().to_str().unwrap(), "--now", NOW],
    );
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("Known exploited: CVE-2022-22965 CRITICAL in org.springframework:spring-beans 5.3.15, added 2022-04-04, due 2022-04-25\n"),
        "{text}"
    );
    assert!(
        text.contains("Feed: kev 2025.08.25 of 2025-08-25T17:04:19.9796Z"),
        "{text}"
    );
}

const EPSS_HEAD: &str =
    "#model_version:v2023.03.01,score_date:2025-08-31T00:00:00+0000\ncve,epss,percentile\n";

#[test]
fn epss_threshold_and_max() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("epss.csv"),
        format!(
            "{EPSS_HEAD}CVE-2021-3711,0.45,0.97\nCVE-2021-36159,0.09,0.90\nCVE-2022-0778,0.1,0.91\nCVE-1999-0001,0.99,0.99\n"
        ),
    )
    .unwrap();
    let slo = informational_slo(dir.path(), &["epss_vulnerabilities_total", "epss_max"]);
    let report = fixture("trivy-reports/generated-0.76-image-alpine-3.14.json");
    let run = |threshold: &str| {
        let out = informational(
            dir.path(),
            &slo,
            report.to_str().unwrap(),
            &[
                "--epss",
                "epss.csv",
                "--epss-threshold",
                threshold,
                "--now",
                NOW,
                "--format",
                "json",
            ],
        );
        values(&json(&out))
    };
    // CVE-2021-3711 and CVE-2022-0778 are each in libssl1.1 and libcrypto1.1: 4 findings at or
    // above 0.1 (0.1 itself counts), CVE-2021-36159 (0.09) does not.
    let v = run("0.1");
    assert_eq!(v["epss_vulnerabilities_total"], 4.0);
    assert_eq!(v["epss_max"], 0.45);
    assert_eq!(run("0.5")["epss_vulnerabilities_total"], 0.0);
    assert_eq!(run("0")["epss_vulnerabilities_total"], 5.0);
    // Without --epss a Trivy report cannot answer: the objective fails, it is never 0.
    let out = informational(
        dir.path(),
        &slo,
        report.to_str().unwrap(),
        &["--format", "json"],
    );
    let v = json(&out);
    assert!(values(&v).is_empty(), "{v}");
    assert!(
        v["evaluation"]["indicatorResults"][0]["value"]["message"]
            .as_str()
            .unwrap()
            .contains("--epss FILE")
    );
}

const VEX: &str = r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.invalid/vex/fixture-1",
  "author": "vulngate tests",
  "timestamp": "2024-01-01T00:00:00Z",
  "version": 1,
  "statements": [
    {"vulnerability": {"name": "CVE-2021-3711"}, "products": [{"@id": "pkg:apk/alpine/libssl1.1"}],
     "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
    {"vulnerability": {"name": "CVE-2022-28391"}, "products": [{"@id": "pkg:apk/alpine/busybox@1.33.1-r2"}],
     "status": "fixed"},
    {"vulnerability": {"name": "CVE-2021-33503"}, "products": [{"@id": "pkg:pypi/urllib3@1.26.4"}],
     "status": "not_affected", "justification": "component_not_present"},
    {"vulnerability": {"name": "CVE-2022-37434"}, "products": [{"@id": "pkg:apk/alpine/zlib"}],
     "status": "under_investigation"},
    {"vulnerability": {"name": "CVE-2021-42386"}, "products": [{"@id": "pkg:apk/alpine/busybox"}],
     "status": "not_affected", "justification": "inline_mitigations_already_exist", "timestamp": "2024-01-02T00:00:00Z"},
    {"vulnerability": {"name": "CVE-2021-42386"}, "products": [{"@id": "pkg:apk/alpine/busybox"}],
     "status": "affected", "action_statement": "upgrade", "timestamp": "2024-02-01T00:00:00Z"},
    {"vulnerability": {"name": "CVE-2018-25032"}, "products": [{"@id": "pkg:apk/alpine/zlib@1.2.12-r0"}],
     "status": "fixed"},
    {"vulnerability": {"name": "CVE-2021-22922"}, "products": [{"@id": "pkg:apk/alpine/libcurl?arch=aarch64"}],
     "status": "not_affected", "justification": "component_not_present"},
    {"vulnerability": {"name": "CVE-2023-45803"}, "products": [{"@id": "pkg:pypi/urllib3"}],
     "status": "not_affected", "justification": "vulnerable_code_not_present"}
  ]
}"#;

/// (id, package, installed) of every finding of a Trivy report, sorted.
fn triples(report: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for r in report["Results"].as_array().unwrap() {
        for v in r["Vulnerabilities"].as_array().cloned().unwrap_or_default() {
            out.push((
                v["VulnerabilityID"].as_str().unwrap().to_owned(),
                v["PkgName"].as_str().unwrap().to_owned(),
                v["InstalledVersion"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out.sort();
    out
}

/// The findings trivy's `--vex` dropped (`filtered` against `plain`), as `ID package@version`,
/// sorted, each as often as it was dropped.
fn dropped_by_trivy(plain: &Value, filtered: &Value) -> Vec<String> {
    let mut left = triples(plain);
    for t in triples(filtered) {
        let i = left
            .iter()
            .position(|x| *x == t)
            .expect("trivy added a finding");
        left.remove(i);
    }
    let mut out: Vec<String> = left
        .into_iter()
        .map(|(id, p, i)| format!("{id} {p}@{i}"))
        .collect();
    out.sort();
    out
}

/// The findings vulngate's JSON result lists under `vex`, sorted.
fn suppressed_by_vulngate(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["vex"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|u| u["findings"].as_array().unwrap().iter())
        .map(|f| f.as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

/// Real trivy on the fixture image: `source` is `--input TAR` or a registry reference
/// (scanned remotely, over plain HTTP); with `vex`, `--vex vex.json`. Returns the JSON report,
/// also written to `dir/out`.
fn trivy_scan(dir: &Path, cache: &Path, source: &[&str], vex: bool, out: &str) -> Value {
    let mut c = std::process::Command::new(test_support::trivy::trivy_bin().expect("trivy"));
    c.arg("image")
        .args(source)
        .arg("--cache-dir")
        .arg(cache)
        .args(["--offline-scan", "--skip-db-update", "--scanners", "vuln"])
        .args(["--format", "json", "--quiet", "--output", out])
        .current_dir(dir);
    if vex {
        c.args(["--vex", "vex.json"]);
    }
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "trivy: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice::<Value>(&std::fs::read(dir.join(out)).unwrap()).unwrap()
}

#[test]
fn vex_suppresses_what_real_trivy_suppresses() {
    let cache = test_support::trivy::TrivyCache::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("vex.json"), VEX).unwrap();
    let tar = test_support::trivy::fixture_image_tar();
    let input = ["--input", tar.to_str().unwrap()];
    let scan = |vex: bool, out: &str| trivy_scan(dir.path(), cache.path(), &input, vex, out);
    let plain = scan(false, "plain.json");
    let filtered = scan(true, "filtered.json");
    let remaining = triples(&filtered);
    assert_eq!(triples(&plain).len(), 29);
    assert_eq!(remaining.len(), 23, "trivy's own VEX filtering changed");

    let slo = informational_slo(
        dir.path(),
        &["vulnerabilities_total", "suppressed_vex_total"],
    );
    let out = informational(
        dir.path(),
        &slo,
        "plain.json",
        &["--vex", "vex.json", "--format", "json"],
    );
    let v = json(&out);
    let got = values(&v);
    assert_eq!(got["vulnerabilities_total"], remaining.len() as f64);
    assert_eq!(got["suppressed_vex_total"], 6.0);
    // Which findings: the suppressed ones vulngate names are exactly those trivy dropped
    // (duplicates, urllib3 is installed twice, are dropped twice).
    assert_eq!(
        suppressed_by_vulngate(&v),
        dropped_by_trivy(&plain, &filtered)
    );
    let uses: Vec<(String, u64)> = v["vex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["statement"].as_str().unwrap().to_owned(),
                u["count"].as_u64().unwrap(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(
        uses,
        vec![
            (
                "CVE-2021-3711 not_affected (vex.json statement 1)".to_owned(),
                1
            ),
            ("CVE-2022-28391 fixed (vex.json statement 2)".to_owned(), 1),
            (
                "CVE-2021-33503 not_affected (vex.json statement 3)".to_owned(),
                2
            ),
            (
                "CVE-2023-45803 not_affected (vex.json statement 9)".to_owned(),
                2
            ),
        ]
    );
}

/// OpenVEX statements about the image (`pkg:oci/NAME@DIGEST`), the shape of a vendor's VEX for
/// its own image: `{DIGEST}` and `{REPOSITORY}` are filled in from trivy's own report.
const IMAGE_VEX: &str = r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/fixture-image",
  "author": "fixture vendor",
  "timestamp": "2024-01-01T00:00:00Z",
  "version": 1,
  "statements": [
    {"vulnerability": {"name": "CVE-2022-28391"},
     "products": [{"@id": "pkg:oci/alpine-vulnerable@{DIGEST}", "subcomponents": [{"@id": "pkg:apk/alpine/busybox"}]}],
     "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
    {"vulnerability": {"name": "CVE-2021-3711"},
     "products": [{"@id": "pkg:oci/alpine-vulnerable@{DIGEST}"}],
     "status": "not_affected", "justification": "vulnerable_code_not_present"},
    {"vulnerability": {"name": "CVE-2022-0778"},
     "products": [{"@id": "pkg:oci/alpine-vulnerable", "subcomponents": [{"@id": "pkg:apk/alpine/libssl1.1"}]}],
     "status": "not_affected", "justification": "vulnerable_code_not_present"},
    {"vulnerability": {"name": "CVE-2021-3712"},
     "products": [{"@id": "pkg:oci/alpine-vulnerable@sha256:0000000000000000000000000000000000000000000000000000000000000000"}],
     "status": "not_affected", "justification": "vulnerable_code_not_present"},
    {"vulnerability": {"name": "CVE-2022-2097"},
     "products": [{"@id": "pkg:oci/alpine-vulnerable@{DIGEST}?arch=arm64"}],
     "status": "not_affected", "justification": "vulnerable_code_not_present"},
    {"vulnerability": {"name": "CVE-2021-22922"},
     "products": [{"@id": "pkg:oci/alpine-vulnerable@{DIGEST}?arch=amd64&repository_url={REPOSITORY}",
                   "subcomponents": [{"@id": "pkg:apk/alpine/libcurl"}]}],
     "status": "fixed"},
    {"vulnerability": {"name": "CVE-2021-22923"},
     "products": [{"@id": "pkg:oci/alpine-vulnerable@{DIGEST}?repository_url=docker.io/fixture/alpine-vulnerable"}],
     "status": "fixed"},
    {"vulnerability": {"name": "CVE-2021-22925"},
     "products": [{"@id": "pkg:oci/other-image@{DIGEST}"}],
     "status": "fixed"},
    {"vulnerability": {"name": "CVE-2023-45803"},
     "products": [{"@id": "pkg:oci/alpine-vulnerable@{DIGEST}", "subcomponents": [{"@id": "pkg:pypi/urllib3@1.26.4"}]}],
     "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
    {"vulnerability": {"name": "CVE-2022-37434"},
     "products": [{"@id": "pkg:oci/alpine-vulnerable@{DIGEST}", "subcomponents": [{"@id": "pkg:apk/alpine/zlib@9.9"}]}],
     "status": "not_affected", "justification": "vulnerable_code_not_present"},
    {"vulnerability": {"name": "CVE-2021-42386"},
     "products": [{"@id": "pkg:oci/alpine-vulnerable@{DIGEST}", "subcomponents": [{"@id": "pkg:apk/alpine/busybox"}]}],
     "status": "not_affected", "justification": "inline_mitigations_already_exist", "timestamp": "2024-01-02T00:00:00Z"},
    {"vulnerability": {"name": "CVE-2021-42386"}, "products": [{"@id": "pkg:apk/alpine/busybox"}],
     "status": "affected", "action_statement": "upgrade", "timestamp": "2024-02-01T00:00:00Z"}
  ]
}"#;

/// vulngate's `--vex` on trivy's plain report: `(vulnerabilities_total, suppressed_vex_total,
/// suppressed findings)`.
fn vulngate_vex(dir: &Path, report: &str) -> (f64, f64, Vec<String>) {
    let slo = informational_slo(dir, &["vulnerabilities_total", "suppressed_vex_total"]);
    let out = informational(
        dir,
        &slo,
        report,
        &["--vex", "vex.json", "--format", "json"],
    );
    let v = json(&out);
    let got = values(&v);
    (
        got["vulnerabilities_total"],
        got["suppressed_vex_total"],
        suppressed_by_vulngate(&v),
    )
}

#[test]
fn vex_about_the_image_suppresses_what_real_trivy_suppresses() {
    let cache = test_support::trivy::TrivyCache::new();
    let dir = tempfile::tempdir().unwrap();
    let registry = test_support::trivy::Registry::start().expect("docker-registry");
    let reference = registry
        .push_fixture_image()
        .expect("push the fixture image");
    let remote = [reference.as_str(), "--insecure", "--image-src", "remote"];
    let plain = trivy_scan(dir.path(), cache.path(), &remote, false, "plain.json");
    // What trivy builds the image's package URL from: the first repo digest.
    let repo_digest = plain["Metadata"]["RepoDigests"][0].as_str().unwrap();
    let (repository, digest) = repo_digest.rsplit_once('@').unwrap();
    assert_eq!(
        repository,
        format!("{}/fixture/alpine-vulnerable", registry.host())
    );
    let vex = IMAGE_VEX
        .replace("{DIGEST}", digest)
        .replace("{REPOSITORY}", repository);
    std::fs::write(dir.path().join("vex.json"), vex).unwrap();
    let filtered = trivy_scan(dir.path(), cache.path(), &remote, true, "filtered.json");
    let dropped = dropped_by_trivy(&plain, &filtered);
    assert_eq!(
        dropped,
        [
            "CVE-2021-22922 libcurl@7.77.0-r1",
            "CVE-2021-3711 libcrypto1.1@1.1.1k-r0",
            "CVE-2021-3711 libssl1.1@1.1.1k-r0",
            "CVE-2021-42386 busybox@1.33.1-r2",
            "CVE-2022-0778 libssl1.1@1.1.1k-r0",
            "CVE-2022-28391 busybox@1.33.1-r2",
            "CVE-2023-45803 urllib3@1.26.4",
            "CVE-2023-45803 urllib3@1.26.4",
        ],
        "trivy's own VEX filtering changed"
    );
    let (total, suppressed, which) = vulngate_vex(dir.path(), "plain.json");
    assert_eq!(total, triples(&filtered).len() as f64);
    assert_eq!(suppressed, dropped.len() as f64);
    assert_eq!(which, dropped);

    // The same image from its docker-save tar has no repo digest: trivy gives it no package
    // URL and applies none of these statements; neither does vulngate.
    let tar = test_support::trivy::fixture_image_tar();
    let input = ["--input", tar.to_str().unwrap()];
    let plain = trivy_scan(dir.path(), cache.path(), &input, false, "tar.json");
    assert_eq!(plain["Metadata"].get("RepoDigests"), None);
    let filtered = trivy_scan(dir.path(), cache.path(), &input, true, "tar-vex.json");
    assert_eq!(dropped_by_trivy(&plain, &filtered), Vec::<String>::new());
    assert_eq!(
        vulngate_vex(dir.path(), "tar.json"),
        (triples(&plain).len() as f64, 0.0, Vec::new())
    );
}

/// A hand-edited report with `Metadata` after `Results`: refused when a statement names an
/// image, since the findings were counted before the image was known.
#[test]
fn vex_about_the_image_on_a_report_with_metadata_last_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let digest = "sha256:412488c631d887be829b94a7e8714d4b9673e5df0046ebbdc85e4deafec7f58d";
    let vex = IMAGE_VEX
        .replace("{DIGEST}", digest)
        .replace("{REPOSITORY}", "127.0.0.1:5000/fixture/alpine-vulnerable");
    std::fs::write(dir.path().join("vex.json"), vex).unwrap();
    let report = format!(
        r#"{{"SchemaVersion": 2, "ArtifactName": "x", "ArtifactType": "container_image",
  "Results": [{{"Target": "t", "Vulnerabilities": [{{"VulnerabilityID": "CVE-2022-28391",
    "PkgName": "busybox", "InstalledVersion": "1.33.1-r2", "Severity": "CRITICAL",
    "PkgIdentifier": {{"PURL": "pkg:apk/alpine/busybox@1.33.1-r2"}}}}]}}],
  "Metadata": {{"RepoDigests": ["127.0.0.1:5000/fixture/alpine-vulnerable@{digest}"]}}}}"#
    );
    std::fs::write(dir.path().join("late.json"), report).unwrap();
    let slo = informational_slo(dir.path(), &["vulnerabilities_total"]);
    let out = informational(dir.path(), &slo, "late.json", &["--vex", "vex.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("late.json")
            && err.contains("`Metadata` (image pkg:oci/alpine-vulnerable@sha256%3A412488")
            && err.contains("comes after `Results`"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn bad_feeds_are_refused_with_file_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let slo = informational_slo(dir.path(), &["vulnerabilities_total"]);
    let report = fixture("trivy-reports/generated-0.76-image-alpine-3.14.json");
    let kev = std::fs::read_to_string(kev_file()).unwrap();
    let cases: Vec<(&str, &str, String, &str)> = vec![
        ("--kev", "empty.json", String::new(), "empty.json, line 0: the file is empty"),
        ("--kev", "cut.json", kev[..kev.len() / 3].to_owned(), "cut.json, line "),
        (
            "--kev",
            "count.json",
            kev.replacen("\"count\": 1404", "\"count\": 1405", 1),
            "count.json, line 5: `count` says 1405 but the catalogue lists 1404",
        ),
        (
            "--kev",
            "type.json",
            kev.replacen("\"dateAdded\": \"2025-08-25\"", "\"dateAdded\": 20250825", 1),
            "type.json, line 12: invalid type: integer `20250825`, expected a string",
        ),
        (
            "--kev",
            "dup.json",
            kev.replacen("\"CVE-2024-8068\"", "\"CVE-2025-48384\"", 1),
            "is listed twice",
        ),
        (
            "--epss",
            "noheader.csv",
            "cve,epss,percentile\nCVE-2021-3711,0.4,0.9\n".to_owned(),
            "noheader.csv, line 1: the first line must be `#model_version:...,score_date:...`",
        ),
        (
            "--epss",
            "bad.csv",
            format!("{EPSS_HEAD}CVE-2021-3711,0.4,0.9\nCVE-2021-3712,1.4,0.9\n"),
            "bad.csv, line 4: CVE-2021-3712: epss 1.4 is outside 0..1",
        ),
        (
            "--epss",
            "dup.csv",
            format!("{EPSS_HEAD}CVE-2021-3711,0.4,0.9\nCVE-2021-3711,0.4,0.9\n"),
            "dup.csv, line 4: CVE-2021-3711 is listed twice",
        ),
        (
            "--epss",
            "future.csv",
            "#model_version:v2023.03.01,score_date:2025-09-02T00:00:00+0000\ncve,epss,percentile\nCVE-2021-3711,0.4,0.9\n".to_owned(),
            "future.csv, line 1: score_date 2025-09-02T00:00:00Z lies in the future",
        ),
        (
            "--vex",
            "spdx.json",
            r#"{"spdxVersion": "SPDX-2.3"}"#.to_owned(),
            "spdx.json, line 1: neither OpenVEX",
        ),
        ("--vex", "cut.vex.json", VEX[..200].to_owned(), "cut.vex.json, line "),
    ];
    for (flag, name, content, want) in cases {
        std::fs::write(dir.path().join(name), content).unwrap();
        let out = informational(
            dir.path(),
            &slo,
            report.to_str().unwrap(),
            &[flag, name, "--now", NOW],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
        assert!(
            out.stdout.is_empty(),
            "{name}: a refused feed printed a result"
        );
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
    }
}

#[test]
fn a_stale_feed_is_an_external_failure() {
    let dir = tempfile::tempdir().unwrap();
    let slo = informational_slo(dir.path(), &["vulnerabilities_total"]);
    let report = fixture("trivy-reports/generated-0.76-image-alpine-3.14.json");
    std::fs::write(
        dir.path().join("epss.csv"),
        format!("{EPSS_HEAD}CVE-2021-3711,0.4,0.9\n"),
    )
    .unwrap();
    let kev = kev_file();
    let base = [
        "--slo",
        slo.to_str().unwrap(),
        "--allow-informational-only",
        "--report",
        report.to_str().unwrap(),
        "--kev",
        kev.to_str().unwrap(),
        "--epss",
        "epss.csv",
        "--now",
        NOW,
    ];
    let fresh = gate(dir.path(), &[&base[..], &["--max-feed-age", "8d"]].concat());
    assert_eq!(fresh.status.code(), Some(0), "{}", stderr(&fresh));
    let stale = gate(dir.path(), &[&base[..], &["--max-feed-age", "5d"]].concat());
    assert_eq!(stale.status.code(), Some(3));
    assert!(
        stderr(&stale).contains("released at 2025-08-25T17:04:19.9796Z (6d before 2025-09-01T00:00:00Z), older than --max-feed-age 5d"),
        "{}",
        stderr(&stale)
    );
    let epss_stale = gate(
        dir.path(),
        &[&base[..5], &base[7..], &["--max-feed-age", "12h"]].concat(),
    );
    assert_eq!(epss_stale.status.code(), Some(3), "{}", stderr(&epss_stale));
    assert!(
        stderr(&epss_stale).contains("the EPSS file epss.csv"),
        "{}",
        stderr(&epss_stale)
    );
}

/// Every hygiene SLI through a gate with targets, in every output format.
#[test]
fn every_hygiene_sli_through_the_gate_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("vex.json"), VEX).unwrap();
    std::fs::copy(kev_file(), dir.path().join("kev.json")).unwrap();
    std::fs::write(
        dir.path().join("epss.csv"),
        format!("{EPSS_HEAD}CVE-2022-22965,0.94,0.99\nCVE-2021-3711,0.45,0.97\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".trivyignore.yaml"),
        "vulnerabilities:\n  - id: CVE-2021-3712\n    expired_at: 2025-09-20\n    statement: mitigated by config\n  - id: CVE-2021-36159\n    expired_at: 2025-06-01\n  - id: CVE-2022-2097\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("slo.yaml"),
        "objectives:
  - sli: kev_vulnerabilities_critical
    pass:
      - criteria: [\"=0\"]
  - sli: kev_vulnerabilities_total
    pass:
      - criteria: [\"=0\"]
  - sli: kev_ransomware_total
    pass:
      - criteria: [\"=0\"]
  - sli: epss_vulnerabilities_total
    pass:
      - criteria: [\"<3\"]
  - sli: epss_max
    pass:
      - criteria: [\"<0.5\"]
  - sli: suppressed_vex_total
    pass:
      - criteria: [\"<10\"]
  - sli: os_eol
    pass:
      - criteria: [\"=0\"]
  - sli: max_age_days_critical
  - sli: exceptions_active
    pass:
      - criteria: [\"<=5\"]
  - sli: exceptions_expired
    pass:
      - criteria: [\"=0\"]
    warning:
      - criteria: [\"<=1\"]
  - sli: exceptions_expiring
total_score:
  pass: \"90%\"
  warning: \"50%\"
",
    )
    .unwrap();
    for format in ["text", "json", "markdown", "junit"] {
        let out = gate(
            dir.path(),
            &[
                "--slo",
                "slo.yaml",
                "--report",
                fixture("trivy-reports/generated-0.76-image-alpine-3.14.json")
                    .to_str()
                    .unwrap(),
                "--kev",
                "kev.json",
                "--epss",
                "epss.csv",
                "--vex",
                "vex.json",
                "--ignore-file",
                ".trivyignore.yaml",
                "--now",
                NOW,
                "--format",
                format,
            ],
        );
        // os_eol fails and one exception expired (a warning): score 85, a warning, exit 0.
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        let text = String::from_utf8(out.stdout).unwrap();
        let mut settings = insta::Settings::clone_current();
        // Keptn's evaluation carries the run's wall-clock times and ids.
        settings.add_filter(
            r#""(timeStart|timeEnd|gitcommitid|keptnContext)": "[^"]*""#,
            r#""$1": "[time]""#,
        );
        settings.add_filter(r#"timestamp="[^"]*""#, r#"timestamp="[time]""#);
        settings.add_filter(r#"time="[0-9.]+""#, r#"time="[t]""#);
        settings.add_filter(r#"hostname="[^"]*""#, r#"hostname="[host]""#);
        settings.bind(|| insta::assert_snapshot!(format!("hygiene_gate_{format}"), text));
    }
}

#[test]
fn hygiene_slis_work_as_history_for_comparisons() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("slo.yaml"),
        "comparison:\n  compare_with: single_result\n  include_result_with_score: all\n  aggregate_function: avg\nobjectives:\n  - sli: kev_vulnerabilities_total\n    pass:\n      - criteria: [\"<=+0\"]\ntotal_score:\n  pass: \"90%\"\n",
    )
    .unwrap();
    let run = |report: &str| {
        gate(
            dir.path(),
            &[
                "--slo",
                "slo.yaml",
                "--report",
                fixture(&format!("trivy-reports/{report}"))
                    .to_str()
                    .unwrap(),
                "--kev",
                kev_file().to_str().unwrap(),
                "--now",
                NOW,
                "--history",
                "history.json",
                "--record",
                "history.json",
                "--format",
                "json",
            ],
        )
    };
    // No KEV finding, then one: the relative criterion fails against the recorded 0.
    let first = run("generated-0.76-image-alpine-3.14.json");
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let second = run("jar-in-debian-image-spring4shell.json");
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    let v = json(&second);
    let r = &v["evaluation"]["indicatorResults"][0];
    assert_eq!(r["value"]["value"], 1.0);
    assert_eq!(r["value"]["comparedValue"], 0.0);
    assert_eq!(r["status"], "fail");
}
