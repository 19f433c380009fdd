//! The SARIF of real reports: a Trivy fixture report and a Grype corpus report.

use sarif_out::{Gate, Options, sarif};
use test_support::fixtures::{fixture, report};

use crate::read;

fn snapshot(name: &str, path: &std::path::Path, gate: Option<&Gate>) {
    let summary = read(path);
    let out = sarif(
        &summary.kept,
        &summary.input,
        &Options {
            gate,
            ..Options::default()
        },
    );
    insta::assert_json_snapshot!(name, out.log, {
        ".runs[].tool.driver.version" => "[version]",
        ".runs[].tool.driver.semanticVersion" => "[version]",
    });
}

#[test]
fn trivy_alpine_image() {
    let gate = Gate {
        result: "fail".into(),
        score: 0.0,
        objectives: vec![sarif_out::Objective {
            sli: "vulnerabilities_medium".into(),
            name: "vulnerabilities_medium".into(),
            status: "fail".into(),
            value: Some(4.0),
            message: None,
            score: 0.0,
            key_sli: false,
        }],
    };
    snapshot(
        "trivy_alpine_3_10",
        &report("alpine-3.10-image.json"),
        Some(&gate),
    );
}

#[test]
fn trivy_jar_in_image() {
    snapshot(
        "trivy_spring4shell",
        &report("jar-in-debian-image-spring4shell.json"),
        None,
    );
}

#[test]
fn grype_java() {
    snapshot(
        "grype_ghsa_java",
        &fixture("corpus/grype/grype-0.65.1-ghsa-java.json"),
        None,
    );
}
