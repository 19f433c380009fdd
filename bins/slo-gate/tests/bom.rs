//! A UTF-8 byte-order mark at the start of any input file is accepted: every input kind of
//! `slo-gate`, run once plain and once with the mark, gives the same exit code and output
//! (token files: `cli.rs`, beside the Dynatrace fake).
#![allow(missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use test_support::fixtures::{fixture, report};

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn fx(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn corpus(rel: &str) -> PathBuf {
    fixture(&format!("corpus/{rel}"))
}

/// A copy of `src` in `dir` with a byte-order mark in front.
fn with_bom(dir: &Path, src: &Path) -> PathBuf {
    let mut bytes = BOM.to_vec();
    bytes.extend(std::fs::read(src).unwrap_or_else(|e| panic!("{}: {e}", src.display())));
    let name = format!("bom-{}", src.file_name().unwrap().to_string_lossy());
    test_support::cli::write(dir, &name, bytes)
}

fn text(dir: &Path, name: &str, body: &str) -> PathBuf {
    test_support::cli::write(dir, name, body)
}

/// One input kind: the arguments with `{}` where the file goes, and the file.
struct Case {
    what: &'static str,
    args: Vec<String>,
    file: PathBuf,
    stdin: bool,
}

fn case(what: &'static str, args: &[&str], file: PathBuf) -> Case {
    Case {
        what,
        args: args.iter().map(|s| (*s).to_owned()).collect(),
        file,
        stdin: false,
    }
}

fn run(c: &Case, file: &Path, env: &[(&str, String)]) -> std::process::Output {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("slo-gate");
    for v in test_support::cli::CALLER_ENV {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.timeout(Duration::from_secs(60));
    for a in &c.args {
        if a == "{}" {
            if c.stdin {
                cmd.arg("-");
            } else {
                cmd.arg(file);
            }
        } else {
            cmd.arg(a);
        }
    }
    if c.stdin {
        cmd.write_stdin(std::fs::read(file).unwrap());
    }
    cmd.output().unwrap()
}

fn assert_same_with_bom(dir: &Path, c: &Case, env: &[(&str, String)]) {
    let plain = run(c, &c.file, env);
    let err = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        matches!(plain.status.code(), Some(0 | 1)),
        "{}: the plain input must evaluate: {}",
        c.what,
        err(&plain)
    );
    let bom_file = with_bom(dir, &c.file);
    let bom = run(c, &bom_file, env);
    assert_eq!(
        bom.status.code(),
        plain.status.code(),
        "{} with a BOM: {}",
        c.what,
        err(&bom)
    );
    // Outputs that name the file they read (ignore rules, feeds) name the copy.
    let plain_name = c.file.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(
        String::from_utf8_lossy(&bom.stdout)
            .replace(
                &bom_file.display().to_string(),
                &c.file.display().to_string()
            )
            .replace(&format!("bom-{plain_name}"), &plain_name),
        String::from_utf8_lossy(&plain.stdout),
        "{} with a BOM",
        c.what
    );
}

#[test]
fn every_input_file_may_start_with_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let budget = fx("gates/total-budget.yaml");
    let budget = budget.to_str().unwrap();
    let trivy = report("alpine-3.9-image-critical.json");
    let trivy_s = trivy.to_str().unwrap();
    // A one-line Trivy ignore file and its YAML form, each ignoring a finding of the report
    // in its first rule (so a mark glued to that rule would show in the counts).
    let ignore = text(d, "trivyignore", "CVE-2019-14697\n");
    let ignore_yaml = text(
        d,
        "trivyignore.yaml",
        "vulnerabilities:\n  - id: CVE-2019-14697\n",
    );
    let k8s = text(
        d,
        "k8s.json",
        r#"{"ClusterName":"prod","Resources":[{"Namespace":"a","Kind":"Deployment","Name":"web","Results":[{"Target":"nginx","Vulnerabilities":[{"VulnerabilityID":"CVE-1","PkgName":"x","InstalledVersion":"1","Severity":"HIGH"}]}]}]}"#,
    );
    let sli = text(
        d,
        "sli.yaml",
        "indicators:\n  crit: \"metricSelector=trivy.vulnerabilities.CRITICAL\"\n",
    );
    let slo_crit = text(
        d,
        "slo.yaml",
        "objectives:\n  - sli: crit\n    pass:\n      - criteria: [\"<=1\"]\ntotal_score: {pass: \"90%\"}\n",
    );
    let slo_crit = slo_crit.to_str().unwrap();
    let values_map = text(d, "values.json", r#"{"crit": 1}"#);
    let values_event = text(
        d,
        "get-sli.json",
        r#"{"status":"succeeded","result":"pass","get-sli":{"indicatorValues":[{"metric":"crit","value":3,"success":true}]}}"#,
    );

    let json = ["--format", "json"];
    let mut cases = vec![
        case(
            "slo.yaml",
            &["--report", trivy_s, "--slo", "{}"],
            budget.into(),
        ),
        case(
            "sli.yaml",
            &["--slo", slo_crit, "--report", trivy_s, "--sli", "{}"],
            sli,
        ),
        case(
            "values file (name map)",
            &["--slo", slo_crit, "--sli-values", "{}"],
            values_map,
        ),
        case(
            "values file (get-sli data)",
            &["--slo", slo_crit, "--sli-values", "{}"],
            values_event,
        ),
        case(
            "history",
            &[
                "--slo",
                fx("worked-example/slo.yaml").to_str().unwrap(),
                "--sli-values",
                fx("worked-example/values.json").to_str().unwrap(),
                "--history",
                "{}",
            ],
            fx("worked-example/history.json"),
        ),
        case(
            "baseline",
            &[
                "--slo",
                fx("gates/no-new-criticals.yaml").to_str().unwrap(),
                "--report",
                trivy_s,
                "--baseline",
                "{}",
            ],
            report("alpine-3.10-image.json"),
        ),
        case(
            "ignore file",
            &["--slo", budget, "--report", trivy_s, "--ignore-file", "{}"],
            ignore,
        ),
        case(
            "ignore file (YAML)",
            &["--slo", budget, "--report", trivy_s, "--ignore-file", "{}"],
            ignore_yaml,
        ),
        case(
            "KEV catalogue",
            &[
                "--slo",
                budget,
                "--report",
                trivy_s,
                "--kev",
                "{}",
                "--now",
                "2025-09-01T00:00:00Z",
            ],
            corpus("kev/known_exploited_vulnerabilities.json"),
        ),
        case(
            "EPSS scores",
            &["--slo", budget, "--report", trivy_s, "--epss", "{}"],
            text(
                d,
                "epss.csv",
                "#model_version:v2023.03.01,score_date:2025-08-31T00:00:00+0000\ncve,epss,percentile\nCVE-2019-14697,0.5,0.9\n",
            ),
        ),
        case(
            "VEX",
            &["--slo", budget, "--report", trivy_s, "--vex", "{}"],
            text(
                d,
                "vex.json",
                r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-2019-14697"}, "products": [{"@id": "pkg:apk/alpine/musl"}], "status": "not_affected"}]}"#,
            ),
        ),
    ];
    for (format, file) in [
        ("trivy", trivy.clone()),
        ("grype", corpus("grype/grype-0.66.0-keycloak.json")),
        ("sarif", corpus("trivy/trivy-head__alpine-310.sarif.golden")),
        (
            "cyclonedx",
            corpus("grype/grype-presenter-cyclonedx-image.golden.cdx.json"),
        ),
        (
            "trivy-operator",
            corpus("trivy/trivy-operator-ea1dc5f__workload.vulnerabilityReportList.json"),
        ),
        ("trivy-k8s", k8s),
    ] {
        for input_format in ["auto", format] {
            cases.push(Case {
                what: format,
                args: [
                    "--slo",
                    budget,
                    "--input-format",
                    input_format,
                    "--report",
                    "{}",
                ]
                .map(str::to_owned)
                .to_vec(),
                file: file.clone(),
                stdin: false,
            });
        }
    }
    let mut stdin = case(
        "report on stdin",
        &["--slo", budget, "--report", "{}"],
        trivy.clone(),
    );
    stdin.stdin = true;
    cases.push(stdin);

    for mut c in cases {
        c.args.extend(json.map(str::to_owned));
        assert_same_with_bom(d, &c, &[]);
    }

    // The ignore files really ignore: the counts differ from a run without them.
    let ignored = |args: &[&str]| {
        let c = case("ignore", args, PathBuf::new());
        let o = run(&c, Path::new(""), &[]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["evaluation"]["indicatorResults"][0]["value"]["value"].clone()
    };
    let base = ["--slo", budget, "--report", trivy_s, "--format", "json"];
    let all = ignored(&base);
    for f in ["trivyignore", "trivyignore.yaml"] {
        let bom = with_bom(d, &d.join(f));
        let mut args = base.to_vec();
        args.extend(["--ignore-file", bom.to_str().unwrap()]);
        assert_ne!(ignored(&args), all, "{f} with a BOM ignores nothing");
    }
}
