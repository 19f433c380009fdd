//! `--format junit` is valid against the Ant JUnit schema Jenkins and GitLab read
//! (`tests/fixtures/schemas/JUnit.xsd`, origin in `tests/fixtures/ORIGIN.md`), checked by a
//! real validator: `xmllint` (Debian's libxml2-utils, installed by the test command).
#![allow(missing_docs)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command as Std, Stdio};
use std::time::Duration;

use test_support::fixtures::report;

fn fx(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn schema() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/schemas/JUnit.xsd")
}

/// slo-gate with `args` and `--format junit`: its exit code and stdout.
fn junit(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let mut c = assert_cmd::cargo::cargo_bin_cmd!("slo-gate");
    for v in test_support::cli::CALLER_ENV {
        c.env_remove(v);
    }
    let out = c
        .args(args)
        .args(["--format", "junit"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

/// xmllint's verdict on `xml` against the schema: its messages when the document is invalid.
fn validate(xml: &str) -> Result<(), String> {
    let mut child = Std::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema())
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xmllint is needed (Debian package libxml2-utils; scripts/install-deps.sh test)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn every_kind_of_result_is_valid_junit() {
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    let (slo, sli) = (fx("seed/slo.yaml"), fx("seed/sli.yaml"));
    let (values, history) = (
        fx("worked-example/values.json"),
        fx("worked-example/history.json"),
    );
    let worked = fx("worked-example/slo.yaml");
    let rep = report("generated-0.76-image-alpine-3.14.json");
    let missing = std::env::temp_dir().join("vulngate-no-such-slo.yaml");
    let explained = fx("gates/criticals-and-highs.yaml");
    let warn_first = fx("gates/warn-first.yaml");
    let cases: Vec<(&str, Vec<&std::ffi::OsStr>, i32)> = vec![
        // Pass, warning and fail objectives, percentages against history; no time window.
        (
            "worked example (fail)",
            vec![
                os("--slo"),
                worked.as_os_str(),
                os("--sli-values"),
                values.as_os_str(),
                os("--history"),
                history.as_os_str(),
            ],
            1,
        ),
        // A pass on a report, with the evaluation's time window.
        (
            "seed on a report (pass)",
            vec![
                os("--slo"),
                slo.as_os_str(),
                os("--sli"),
                sli.as_os_str(),
                os("--report"),
                rep.as_os_str(),
            ],
            0,
        ),
        // An SLI without a value fails its objective.
        (
            "seed without sli.yaml (no value)",
            vec![
                os("--slo"),
                slo.as_os_str(),
                os("--report"),
                rep.as_os_str(),
            ],
            1,
        ),
        // Explanations and fix plans in the failures, the suite's output and the total.
        (
            "explained failure (findings and fix plans)",
            vec![
                os("--slo"),
                explained.as_os_str(),
                os("--report"),
                rep.as_os_str(),
            ],
            1,
        ),
        (
            "explained warning (findings in system-out)",
            vec![
                os("--slo"),
                warn_first.as_os_str(),
                os("--report"),
                rep.as_os_str(),
            ],
            0,
        ),
        // No evaluation at all: lighthouse's pass on a missing SLO.
        (
            "missing SLO allowed",
            vec![
                os("--slo"),
                missing.as_os_str(),
                os("--allow-missing-slo"),
                os("--report"),
                rep.as_os_str(),
            ],
            0,
        ),
    ];
    for (case, args, code) in cases {
        let (got, xml) = junit(&args);
        assert_eq!(got, Some(code), "{case}: exit code; stdout:\n{xml}");
        assert!(xml.contains("<testcase"), "{case}: no test case:\n{xml}");
        if case.starts_with("explained") {
            assert!(
                xml.contains("libcrypto1.1"),
                "{case}: no findings named:\n{xml}"
            );
        }
        if let Err(e) = validate(&xml) {
            panic!("{case}: the JUnit output is not valid against JUnit.xsd:\n{e}\n{xml}");
        }
    }
}

#[test]
fn the_validator_refuses_the_old_shape() {
    // Guards the guard: attributes on <testsuites> and <system-out> inside a test case (what
    // slo-gate wrote before) must fail, so a broken validator cannot pass everything.
    let old = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="slo-gate" tests="1" failures="0" errors="0">
  <testsuite name="slo evaluation" tests="1" failures="0" errors="0" skipped="0">
    <properties/>
    <testcase classname="slo" name="total score"><system-out>ok</system-out></testcase>
  </testsuite>
</testsuites>
"#;
    assert!(
        validate(old).is_err(),
        "xmllint accepted an invalid document"
    );
}
