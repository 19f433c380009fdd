//! `deploy/kubernetes/`: the manifests are valid for a pinned Kubernetes version
//! (`kubernetes-validate --strict`, offline schemas), hold what DESIGN.md asks (a trivy server
//! with a DB volume and a /healthz readiness probe, a CronJob with `concurrencyPolicy: Forbid`
//! scanning a ConfigMap list through it), and the CronJob's arguments are ones trivy-scan
//! accepts: they run here with the ConfigMap's list and a stand-in trivy.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The Kubernetes version the manifests are validated against.
const KUBERNETES: &str = "1.34.0";

fn manifests() -> PathBuf {
    test_support::fixtures::workspace_root().join("deploy/kubernetes")
}

fn files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(manifests())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

fn validate(files: &[PathBuf]) -> std::process::Output {
    let bin = test_support::process::find_program("kubernetes-validate").unwrap_or_else(|| {
        panic!(
            "kubernetes-validate is not installed: scripts/install-deps.sh test installs it (pip)"
        )
    });
    Command::new(bin)
        .args(["--strict", "-k", KUBERNETES])
        .args(files)
        .output()
        .unwrap()
}

/// Every document of every manifest, as JSON values.
fn documents() -> Vec<Value> {
    files()
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            text.split("\n---\n")
                .map(|d| {
                    serde_saphyr::from_str::<Value>(d)
                        .unwrap_or_else(|e| panic!("{}: {e}", f.display()))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn kind<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

#[test]
fn the_manifests_are_valid_for_the_pinned_kubernetes() {
    let out = validate(&files());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert_eq!(
        text.matches(" passed for resource ").count(),
        documents().len(),
        "{text}"
    );
    // The check bites: an unknown field in a copy of the CronJob is refused.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    let original = std::fs::read_to_string(manifests().join("fleet-scan.yaml")).unwrap();
    std::fs::write(
        &broken,
        original.replace(
            "concurrencyPolicy: Forbid",
            "concurrencyPolicy: Forbid\n  concurrency: 1",
        ),
    )
    .unwrap();
    assert!(!validate(&[broken]).status.success());
}

#[test]
fn a_trivy_server_with_a_db_volume_and_a_healthz_probe() {
    let docs = documents();
    let deployment = kind(&docs, "Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(c["image"], "aquasec/trivy:0.76.0");
    assert_eq!(c["args"][0], "server");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/healthz");
    // The token from a Secret, in the environment.
    let env = c["env"].as_array().unwrap();
    let token = env.iter().find(|e| e["name"] == "TRIVY_TOKEN").unwrap();
    assert!(token["valueFrom"]["secretKeyRef"].is_object());
    assert!(!c["args"].to_string().contains("token"));
    // The DB on the claimed volume, at the cache dir trivy is given.
    let claim = kind(&docs, "PersistentVolumeClaim")["metadata"]["name"].clone();
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["persistentVolumeClaim"]["claimName"] == claim)
        .unwrap();
    let mount = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == volume["name"])
        .unwrap();
    let cache_arg = format!("--cache-dir={}", mount["mountPath"].as_str().unwrap());
    assert!(
        c["args"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == cache_arg.as_str()),
        "{}",
        c["args"]
    );
    let service = kind(&docs, "Service");
    assert_eq!(service["spec"]["ports"][0]["port"], 4954);
}

#[test]
fn the_cronjob_scans_the_configmap_through_the_server_and_its_arguments_run() {
    let docs = documents();
    let cron = kind(&docs, "CronJob");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    let args: Vec<String> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    let service = kind(&docs, "Service");
    let server = format!(
        "--server=http://{}:{}",
        service["metadata"]["name"].as_str().unwrap(),
        service["spec"]["ports"][0]["port"]
    );
    assert!(args.contains(&server), "{args:?}");
    assert!(
        args.iter()
            .any(|a| a.starts_with("--sink=pushgateway") || a.starts_with("--sink=otlp")),
        "{args:?}"
    );

    // Where the ConfigMap and the Secret are mounted.
    let mount_of = |volume_has: &str| {
        let v = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v.get(volume_has).is_some())
            .unwrap();
        c["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == v["name"])
            .unwrap()["mountPath"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (list_dir, token_dir) = (mount_of("configMap"), mount_of("secret"));
    let configmap = kind(&docs, "ConfigMap");
    let dir = tempfile::tempdir().unwrap();
    let here = |p: &str, root: &str, local: &Path| {
        local.join(p.strip_prefix(root).unwrap().trim_start_matches('/'))
    };
    for (name, text) in configmap["data"].as_object().unwrap() {
        std::fs::write(dir.path().join(name), text.as_str().unwrap()).unwrap();
    }
    std::fs::write(dir.path().join("token"), "in-cluster-token\n").unwrap();
    // The same arguments, the mounts mapped to local files, the URLs to local ports.
    let refused = test_support::net::refused_addr();
    let local_args: Vec<String> = args
        .iter()
        .map(|a| {
            let (flag, value) = a.split_once('=').unwrap_or((a, ""));
            match flag {
                "--images" => format!("--images={}", here(value, &list_dir, dir.path()).display()),
                "--token-file" => format!(
                    "--token-file={}",
                    here(value, &token_dir, dir.path()).display()
                ),
                "--cache-dir" => format!("--cache-dir={}", dir.path().join("cache").display()),
                "--pushgateway-url" => format!("--pushgateway-url=http://{refused}"),
                _ => a.clone(),
            }
        })
        .collect();
    let fake = fake_trivy(dir.path());
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"));
    for var in test_support::cli::CALLER_ENV {
        cmd.env_remove(var);
    }
    for e in c["env"].as_array().unwrap() {
        cmd.env(e["name"].as_str().unwrap(), e["value"].as_str().unwrap());
    }
    let out = cmd
        .args(&local_args)
        .args(["--retries", "0", "--trivy-bin"])
        .arg(&fake)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The list's three images were scanned through the server; the Pushgateway is not there,
    // which warns (no --metrics-required) and names the images.
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["summary"]["images"], 3, "{stdout}");
    for image in [
        "payments/api:2.4.1",
        "payments/worker:2.4.1",
        "web/frontend:7.0.3",
    ] {
        let named = stderr.lines().any(|l| {
            l.starts_with("warning: metrics push to pushgateway failed for 1 image (")
                && l.contains(&format!("registry.example.com/{image})"))
        });
        assert!(named, "{image}: {stderr}");
    }
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert_eq!(log.lines().count(), 3);
    assert!(
        log.lines()
            .all(|l| l.contains("--server=http://trivy-server:4954")
                && l.ends_with("token=in-cluster-token")),
        "{log}"
    );
}

fn fake_trivy(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("trivy");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho \"$* token=$TRIVY_TOKEN\" >> {log}\nfor a in \"$@\"; do case \"$a\" in --output=*) cp {report} \"${{a#--output=}}\";; esac; done\n",
            log = dir.join("log").display(),
            report = test_support::fixtures::report("generated-0.76-image-alpine-3.14.json").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}
