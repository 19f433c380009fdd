#!/usr/bin/env python3
"""Generate docs/reliability.md from the test suite's results (issue 7).

Every row of the table is one test: what was tried, what must happen, and what happened in
the run the table was generated from. The hardening tests are named `<area>::<case>` in
`bins/*/tests/hardening.rs` (areas: bad_input, fault, secret, gate_closed, prop); a few older
tests that already cover a case are listed too (REFERENCED below).

Usage:
    scripts/reliability-report.py                 # runs cargo nextest itself, writes the doc
    scripts/reliability-report.py --junit FILE    # reads a JUnit file from `cargo nextest run
                                                  # --profile ci` (needs [profile.ci.junit])
    scripts/reliability-report.py --libtest-json FILE   # reads saved libtest-json(-plus) output
    options: --out docs/reliability.md, --all (run the whole workspace, not only the rows)

Running nextest itself uses `--message-format libtest-json-plus`, which nextest still marks
experimental: the script sets NEXTEST_EXPERIMENTAL_LIBTEST_JSON=1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

AREAS = {
    "bad_input": "Bad input (exit 2, a message naming the problem, no panic)",
    "fault": "Faults in dependencies (exit 3, a clear message, nothing lost unnamed)",
    "secret": "Secrets (the token never shown)",
    "gate_closed": "The gate never opens by mistake",
    "bounded": "Bounded inputs: files, response bodies, patterns (refused promptly, memory bounded)",
    "polling": "Polling and retries bounded (no loop floods an API)",
    "prop": "Properties (any input: a value or an error, never a panic)",
    "fuzz_regression": "Fuzzer finds kept as regression tests",
}

# (binary, test) -> (what was tried, expected). Tests not listed get a row from their name.
CATALOGUE: dict[tuple[str, str], tuple[str, str]] = {
    # ---- trivy-scan
    ("trivy-scan", "bad_input::truncated_report_every_1k_boundary"):
        ("`--report` with a real report cut at every 1 KB boundary (0.76 alpine report through the binary; 1.4 MB centos report through `summarize_slice` at every 1 KB and the binary every 64 KB)",
         "exit 2 naming the file and `empty` / `ends early`"),
    ("trivy-scan", "bad_input::not_utf8"):
        ("`--report` with Latin-1 inside a string, raw binary, UTF-16 with BOM", "exit 2 naming the file"),
    ("trivy-scan", "bad_input::nested_10000_deep"):
        ("`--report` with arrays/objects nested 10,000 deep (top level, inside a finding, in Metadata)",
         "exit 2 within 30 s, message says too deep"),
    ("trivy-scan", "bad_input::numbers_that_overflow"):
        ("`SchemaVersion: 99999999999999999999999`, `Vulnerabilities: 1e999`, `Results: -1e999`; and 1e999 in an uncounted CVSS score",
         "exit 2 with the position; the uncounted field either exit 2 or the exact count (1 HIGH)"),
    ("trivy-scan", "bad_input::wrong_top_level_type"):
        ("string, null, bool, array of numbers, `Results` as object, `Vulnerabilities` as string, two documents",
         "exit 2 naming the file"),
    ("trivy-scan", "bad_input::sparse_2gb_report"):
        ("a 2 GB sparse file (valid start, then zero bytes) as `--report FILE` and as `--report -` on stdin",
         "exit 2 in < 60 s, peak RSS < 200 MB (under a 1 GiB address-space cap)"),
    ("trivy-scan", "bad_input::sparse_2gb_slo"):
        ("`--slo` a 2 GB sparse file (read before the scan)", "exit 2 for what it holds, in < 60 s and < 200 MB, not a whole read"),
    ("trivy-scan", "secret::token_echoed_by_the_backend_is_not_repeated"):
        ("Dynatrace answers 400 with the request's `Authorization` header echoed in the body", "exit 3, the marker is not printed"),
    ("slo-gate", "secret::token_echoed_by_the_backend_is_not_repeated"):
        ("Dynatrace answers 400 echoing the `Api-Token` in its body", "exit 1 or 3; the marker is on neither stdout nor stderr"),
    ("trivy-scan", "bad_input::stdin_closed_early"):
        ("`--report -` with empty stdin, half a report then EOF, stdin = /dev/null", "exit 2, `empty` / `ends early`"),
    ("trivy-scan", "bad_input::unknown_severities"):
        ("`--severity` `CRITICAL,,HIGH`, `critical;high`, empty, `ALL`, trailing comma, Cyrillic `Н`; `TRIVY_SECURITY`/`TRIVY_SEVERITY` with `SEVERE`",
         "exit 2 naming the flag/variable and the bad entry"),
    ("trivy-scan", "bad_input::image_reference_shell_metacharacters"):
        ("references with whitespace, newline, tab, BEL, leading `-`/`--help`, `IMAGE=-x`; and `nginx;rm`, `$(id)`, backticks, `a|b&&c`, `x>y` to a fake trivy that logs its argv",
         "exit 2 before trivy runs; metacharacters reach trivy as one literal argument after `--`"),
    ("trivy-scan", "bad_input::slo_duplicate_keys_wrong_types_negative_weight"):
        ("`--slo` with a duplicate `total_score`, `objectives` as a string, a negative weight", "exit 2 naming the file and the key"),
    ("trivy-scan", "bad_input::slo_criteria_every_error_form"):
        ("`--slo` with each criteria error form (`5`, `pass`, `!=5`, `<=`, `<=abc`, `|5`, `<=10%%`, `<=1e400`, `<=5ms`)",
         "exit 2 naming the file and the criterion (lighthouse fails the evaluation instead)"),
    ("trivy-scan", "fault::trivy_hanging_past_timeout_leaves_no_orphan"):
        ("fake trivy starts `sleep 300 &`, records its PID, waits; `--timeout 1s`", "exit 3 `did not finish within 1s`; the child PID is gone"),
    ("trivy-scan", "fault::trivy_leaving_a_helper_behind_is_not_waited_for"):
        ("fake trivy writes a report, leaves `sleep 300 &` holding stderr, exits 0", "exit 0 promptly; the helper is killed with trivy's group"),
    ("trivy-scan", "fault::trivy_killed_by_signal"):
        ("fake trivy does `kill -9 $$`", "exit 3 naming signal 9 and trivy's last stderr"),
    ("trivy-scan", "fault::trivy_version_probe_garbage"):
        ("`trivy version --format json` prints non-JSON", "exit 3 naming the probe"),
    ("trivy-scan", "fault::trivy_not_executable"):
        ("`--trivy-bin` a file without the x bit, and a directory", "exit 3"),
    ("trivy-scan", "fault::metrics_backend_refusing_connections"):
        ("`--sink dynatrace|pushgateway|otlp --metrics-required` to a refused port", "exit 3; every unsent metric named"),
    ("trivy-scan", "fault::metrics_backend_reset_mid_response"):
        ("backend sends half a response / closes after reading the request", "exit 3; every unsent metric named"),
    ("trivy-scan", "fault::metrics_backend_5xx_forever"):
        ("backend answers 503 every time, `--retries 1`", "exit 3 naming 503; exactly 2 requests; every unsent metric named"),
    ("trivy-scan", "fault::metrics_backend_answering_slowly"):
        ("backend answers after 30 s, `--metrics-timeout 2s`", "exit 3 in < 25 s; every unsent metric named"),
    ("trivy-scan", "fault::metrics_backend_unexpected_body"):
        ("backend answers 200 with an HTML proxy login page", "exit 3 (not acknowledged); every unsent metric named"),
    ("trivy-scan", "fault::trivy_and_metrics_failing_together_names_trivy"):
        ("trivy fails while a metrics backend is configured", "exit 3 naming trivy; nothing pushed"),
    ("trivy-scan", "secret::token_never_shown_on_any_error_path"):
        ("token marker via flag and env, `-vvv`, text and JSON, against refused, 401, 500, 400-echo, non-loopback http, bad URL, credentials in URL; Pushgateway and OTLP with credentials",
         "the marker appears on neither stdout nor stderr"),
    ("trivy-scan", "secret::token_not_in_saved_report_or_debug"):
        ("`--save-report` with a token set and a failing backend; `{:?}` of the parsed CLI", "the marker is in neither"),
    ("trivy-scan", "gate_closed::trivy_exit_0_with_empty_output_file"):
        ("trivy exits 0 but leaves its output file empty or deletes it, with `--slo`", "exit 3, no pass"),
    ("trivy-scan", "gate_closed::empty_report_file_is_an_error_but_empty_results_pass"):
        ("`--report` empty file / whitespace only vs. `{\"Results\": []}`", "exit 2 for the empty file; exit 0 for a scan with no findings"),
    ("trivy-scan", "gate_closed::missing_slo_and_unknown_sli"):
        ("`--slo` missing; an SLO whose SLI the report cannot answer", "exit 2; exit 1 (fail)"),
    ("trivy-scan", "prop::ignore_file_parsers_never_panic"):
        ("4,000 generated `.trivyignore` / `.trivyignore.yaml` texts", "a value or an error"),
    ("trivy-scan", "prop::severity_lists_parse_or_name_the_bad_entry"):
        ("4,000 generated severity lists", "a non-empty list or an error"),
    # ---- slo-gate
    ("slo-gate", "bad_input::truncated_report_every_1k_boundary"):
        ("`--report` with the 0.76 alpine report cut every 1 KB and the legacy-array debian report every 16 KB",
         "exit 2 naming the file and `empty` / `ends early`"),
    ("slo-gate", "bad_input::report_not_utf8_deep_overflow_wrong_type"):
        ("`--report` Latin-1, binary, 10,000-deep, 1e999 list, string/null top level, `Results` object", "exit 2 naming the file"),
    ("slo-gate", "bad_input::report_directory_and_missing"):
        ("`--report` a directory, a missing file", "exit 2 naming `directory` / the path"),
    ("slo-gate", "bad_input::stdin_closed_early"):
        ("`--report -` empty, truncated, /dev/null", "exit 2"),
    ("slo-gate", "bad_input::sparse_2gb_report"):
        ("`--report` a 2 GB sparse file", "exit 2 in < 60 s, peak RSS < 200 MB"),
    ("slo-gate", "bad_input::sparse_2gb_slo_values_history"):
        ("`--slo`, `--sli-values`, `--history` each a 2 GB sparse file", "exit 2 in < 60 s, peak RSS < 200 MB"),
    ("slo-gate", "bad_input::slo_duplicate_keys"):
        ("duplicate `total_score`; duplicate `sli` in an objective", "exit 2 naming the key"),
    ("slo-gate", "bad_input::slo_wrong_types"):
        ("`objectives: 5`, `sli` a list, `weight: 1.5`, `key_sli: maybe`, `pass` a string, a top-level list, an overflowing weight",
         "exit 2 naming the key"),
    ("slo-gate", "bad_input::slo_negative_weight"):
        ("an objective with `weight: -1`", "exit 2 naming the weight (lighthouse keeps it; a failure would raise the score)"),
    ("slo-gate", "bad_input::slo_criteria_every_error_form"):
        ("each criteria error form, in `pass` and in `warning`", "exit 2 naming the file and the error"),
    ("slo-gate", "bad_input::sli_values_bad"):
        ("`--sli-values` string value, 1e999, array, empty, 10,000 deep, duplicate key", "exit 2 naming the file"),
    ("slo-gate", "bad_input::bad_labels_timeframes_and_numbers"):
        ("`--label novalue`, `--label =x`, `--timeframe 5 weeks`, `0s`, `--from` after `--to`, `--severity SEVERE`", "exit 2 naming the flag"),
    ("slo-gate", "fault::backend_refusing_connections"):
        ("`--provider prometheus|dynatrace` to a refused port", "exit 3"),
    ("slo-gate", "fault::backend_reset_mid_response"):
        ("backend sends half a response / closes after the request", "exit 3"),
    ("slo-gate", "fault::backend_5xx_forever"):
        ("backend answers 503 every time, `--retries 1`", "exit 3 naming 503, exactly 2 requests"),
    ("slo-gate", "fault::backend_answering_slowly"):
        ("backend answers after 30 s, `--timeout 2s`", "exit 3 in < 20 s"),
    ("slo-gate", "fault::backend_unexpected_body"):
        ("200 with HTML, `{\"unexpected\": true}`, `[]`", "exit 3"),
    ("slo-gate", "secret::token_never_shown_on_any_error_path"):
        ("Dynatrace token marker, `-vvv`, refused/401/500/400-echo/bad URL, `--record`, non-loopback http, token file; `{:?}` of the CLI",
         "the marker is on neither stdout, stderr, the record file nor Debug"),
    ("slo-gate", "gate_closed::failed_query_is_exit_3"):
        ("Prometheus and Dynatrace answering 500", "exit 3, no verdict"),
    ("slo-gate", "gate_closed::no_data_fails_the_gate"):
        ("Prometheus answers an empty vector", "exit 1 (the SLI failed)"),
    ("slo-gate", "gate_closed::sli_the_source_cannot_answer"):
        ("an SLI that is no built-in name; a values file without it; a get-sli.finished with status errored", "exit 1 / never a pass"),
    ("slo-gate", "gate_closed::empty_report_file_is_exit_2_but_empty_results_pass"):
        ("`--report` empty file vs `{\"Results\": []}`", "exit 2; exit 0"),
    ("slo-gate", "gate_closed::slo_with_no_objectives_or_no_total_score"):
        ("an SLO with only `spec_version`, with `objectives: []`, without `total_score`", "never exit 0"),
    ("slo-gate", "prop::slo_and_sli_parsers_never_panic"):
        ("6,000 generated YAML texts through `parse_slo`, `parse_slo_strict`, `parse_sli`", "a value, or an error with line/column"),
    ("slo-gate", "prop::criteria_parse_or_fail_with_a_known_error"):
        ("20,000 generated criterion strings", "a criterion with an operator, or one of the two known errors"),
    ("slo-gate", "prop::sli_values_and_history_never_panic"):
        ("6,000 generated JSON texts through `parse_sli_values` and `parse_history`", "a value or an error"),
    # ---- keptn-send
    ("keptn-send", "bad_input::names_that_break_keptn_rules"):
        ("project/stage/service/sequence: upper case, leading digit or `-`, trailing `-`, space, `.`, `$(id)`, non-ASCII, empty, project > 200, service > 43, `..`, `:`, `>`, `|`, `&`, `<`",
         "exit 2 naming the flag; the limits themselves pass"),
    ("keptn-send", "bad_input::bad_set"):
        ("`--set` `=1`, `a..b=1`, `.a=1`, `a.=1`, through an array, through null, through a string", "exit 2 naming the path"),
    ("keptn-send", "bad_input::bad_label"):
        ("`--label =x`, `--label nokey`, `--label` when `--data` has `labels` as a string", "exit 2"),
    ("keptn-send", "bad_input::unreadable_data"):
        ("`--data` empty, Latin-1, 10,000 deep, 1e999, truncated, a string, YAML, a directory, closed stdin", "exit 2 naming `--data`"),
    ("keptn-send", "bad_input::sparse_2gb_data_file"):
        ("`--data` a 2 GB sparse file", "exit 2 in < 60 s, peak RSS < 200 MB"),
    ("keptn-send", "bad_input::bad_urls_contexts_and_types"):
        ("`--api-url` unparsable, ftp, empty; `--keptn-context not-a-uuid`; `--source ''`; malformed `--type`s", "exit 2, token never shown"),
    ("keptn-send", "fault::keptn_reset_mid_response"):
        ("API sends half a response / closes after the request", "exit 3"),
    ("keptn-send", "fault::keptn_5xx_forever"):
        ("API answers 500/502/503 every time; polls failing with 503 after the event was accepted", "exit 3, exactly 2 requests with `--retries 1`"),
    ("keptn-send", "fault::keptn_answering_slowly"):
        ("API answers after 30 s (`--request-timeout 2s`); polls that hang (`--timeout 3s`)", "exit 3 in bounded time"),
    ("keptn-send", "fault::keptn_unexpected_body"):
        ("200 with HTML, `{}`, `keptnContext: 42`, `[]`, empty; polls answering HTML", "exit 3"),
    ("keptn-send", "secret::token_never_shown_on_any_error_path"):
        ("API token marker via env and file, `-vvv`, with and without `--wait`, refused/401/500/reset/bad URL/non-loopback http/credentials in URL; flag and file together; `{:?}` of the CLI",
         "the marker is on neither stdout, stderr nor Debug"),
    ("keptn-send", "secret::token_echoed_by_the_server_is_not_repeated"):
        ("the API's error body echoes the `x-token` header", "exit 3, the marker is not printed"),
    ("keptn-send", "gate_closed::sequence_finished_without_our_evaluation"):
        ("the sequence is `finished` but no evaluation event exists", "exit 3, no verdict"),
    ("keptn-send", "prop::cloudevent_deserialization_never_panics"):
        ("8,000 generated JSON texts as `CloudEvent<Value>`", "what deserializes round-trips"),
    ("keptn-send", "prop::set_and_label_never_panic"):
        ("8,000 generated `--set` / `--label` sequences", "a value or an error"),
}

# Older tests that already cover a case of the issue: (binary, test, area, tried, expected).
REFERENCED = [
    ("trivy-scan", "max_db_age_fails_on_the_old_fixture_db", "gate_closed",
     "real trivy with the 2024 fixture DB and `--max-db-age 7d`", "exit 3 naming the DB date, nothing on stdout"),
    ("trivy-scan", "trivy_missing_is_exit_3", "fault", "`--trivy-bin /nonexistent/trivy`", "exit 3, one line naming the path"),
    ("trivy-scan", "trivy_failing_is_exit_3_with_its_stderr", "fault", "trivy exits 1", "exit 3 with trivy's stderr"),
    ("trivy-scan", "trivy_printing_invalid_json_is_exit_3", "fault", "trivy writes truncated JSON", "exit 3 with the position"),
    ("trivy-scan", "malformed_truncated_and_empty_reports_name_the_file_and_position", "bad_input",
     "`--report` empty, truncated, garbage, a number, missing, a directory", "exit 2 naming the file and position"),
    ("trivy-scan", "a_missing_or_broken_slo_fails_before_any_scan", "gate_closed",
     "`--slo` missing, broken or empty, before trivy runs", "exit 2 without running trivy"),
    ("slo-gate", "missing_or_empty_slo_fails_closed", "gate_closed", "`--slo` missing or 0 bytes", "exit 2 unless `--allow-missing-slo`"),
    ("slo-gate", "seed_sli_without_a_matching_query_fails_instead_of_reading_zero", "gate_closed",
     "an SLI without a query or built-in name", "exit 1, never read as 0"),
    ("slo-gate", "dynatrace_against_the_fake", "gate_closed", "Dynatrace answers no data / several series", "exit 1"),
    ("slo-gate", "prometheus_unreachable_exits_3", "fault", "Prometheus refused", "exit 3"),
    ("slo-gate", "dynatrace_refused_token_exits_3_without_leaking_it", "secret", "wrong Dynatrace token (401)", "exit 3, token not shown"),
    ("slo-gate", "dynatrace_token_needs_https_off_loopback", "secret", "token over http to a non-loopback host", "exit 2, token not shown"),
    ("keptn-send", "unreachable_api_exits_3", "fault", "Keptn API refused", "exit 3"),
    ("keptn-send", "bad_token_exits_3_without_retry_or_leak", "secret", "wrong Keptn token (401)", "exit 3, one request, token not shown"),
    ("keptn-send", "client_timeout_exits_3", "fault", "sequence never finishes, `--timeout 1s`", "exit 3 in bounded time"),
    ("keptn-send", "input_errors_exit_2_with_one_line", "bad_input", "invalid names, bad --set/--label/--data", "exit 2, one line"),
]

HARDENING = re.compile(r"^(" + "|".join(AREAS) + r")::")

# Test binaries (files under `bins/*/tests/`, or `crate::module` for a library's `it` suite)
# whose every test is a row of one area.
SUITE_AREAS = {
    "secrets": "secret",
    "bounded_inputs": "bounded",
    "bounded_polling": "polling",
    "it::bounded_body": "bounded",
}

# What every row of a suite must show, when the catalogue has no words of its own for it.
SUITE_EXPECTED = {
    "secret": "the marker appears nowhere in stdout or stderr at -vvv; the server was asked and `[REDACTED]` shows",
    "bounded": "exit 2 for a file, 3 for a server, one line naming the cause, within the time bound, peak RSS under 64 MB",
    "polling": "a bounded, counted number of requests; a flag outside its range is exit 2 naming the range",
}


@dataclass
class Result:
    binary: str
    name: str
    passed: bool
    message: str = ""
    seconds: float | None = None
    tried: str = ""
    expected: str = ""
    area: str = ""
    extra: dict = field(default_factory=dict)
    suite: str = ""


def split_name(full: str, suite: str = "") -> tuple[str, str]:
    """`trivy-scan::hardening$bad_input::x` -> (`trivy-scan`, `bad_input::x`)."""
    if "$" in full:
        suite, full = full.split("$", 1)
    binary = suite.split("::", 1)[0] if suite else ""
    return binary, full


def suite_of(full: str, name: str) -> str:
    """The test file of a name: `secrets` for `trivy-scan::secrets$x`; `it::bounded_body` for
    `metrics-sink::it$bounded_body::x` (a library's one `it` suite, by module)."""
    if "$" not in full:
        return ""
    suite = full.split("$", 1)[0].split("::", 1)[-1]
    if suite == "it" and "::" in name:
        suite += "::" + name.split("::", 1)[0]
    return suite


def first_failure_line(text: str) -> str:
    """A one-line summary of a failed test's output: the assertion's first line, the exit code
    and the last stderr line of the binary it ran, when the message shows them."""
    m = re.search(r"panicked at [^\n]*:\n(.*?)(?:\nstack backtrace:|\nnote: |\Z)", text, re.S)
    body = (m.group(1) if m else text).strip()
    if not body:
        return ""
    first = body.splitlines()[0].strip()
    first = re.sub(r":?\s*Run \{$", "", first)
    if first in ("[", "{", ""):
        return re.sub(r"\s+", " ", body)[:400]
    parts = [first]
    code = re.search(r"code: Some\(\s*(-?\d+),?\s*\)", body)
    if code and "exit" not in first:
        parts.append(f"exit {code.group(1)}")
    err = re.search(r'stderr: "((?:[^"\\]|\\.)*)"', body)
    if err:
        lines = [l for l in err.group(1).split("\\n") if l.strip()]
        if lines:
            parts.append("stderr: " + lines[-1][:200])
    return "; ".join(parts)[:400]


def parse_libtest_json(lines) -> list[Result]:
    out: dict[tuple[str, str], Result] = {}
    for raw in lines:
        raw = raw.strip()
        if not raw.startswith("{"):
            continue
        try:
            ev = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if ev.get("type") != "test" or ev.get("event") not in ("ok", "failed", "ignored"):
            continue
        binary, name = split_name(ev.get("name", ""))
        passed = ev["event"] == "ok"
        msg = "" if passed else first_failure_line(ev.get("stdout", "") or ev.get("message", ""))
        if ev["event"] == "ignored":
            msg = "ignored"
        out[(binary, name)] = Result(binary, name, passed, msg, ev.get("exec_time"),
                                     suite=suite_of(ev.get("name", ""), name))
    return list(out.values())


def parse_junit(path: Path) -> list[Result]:
    tree = ET.parse(path)
    results = []
    for suite in tree.iter("testsuite"):
        for case in suite.iter("testcase"):
            suite_name = case.get("classname") or suite.get("name", "")
            binary, name = split_name(case.get("name", ""), suite_name)
            failure = case.find("failure")
            if failure is None:
                failure = case.find("error")
            passed = failure is None and case.find("skipped") is None
            msg = ""
            if failure is not None:
                msg = first_failure_line((failure.get("message") or "") + "\n" + (failure.text or ""))
                out = case.find("system-out")
                if out is not None and out.text:
                    msg = first_failure_line(out.text) or msg
            t = case.get("time")
            results.append(Result(binary, name, passed, msg, float(t) if t else None,
                                  suite=suite_of(f"{suite_name}${name}", name)))
    return results


def run_nextest(run_all: bool) -> list[Result]:
    env = dict(os.environ, NEXTEST_EXPERIMENTAL_LIBTEST_JSON="1")
    cmd = ["cargo", "nextest", "run", "--all-features", "--no-fail-fast",
           "--message-format", "libtest-json-plus"]
    if run_all:
        cmd += ["--workspace"]
    else:
        # Every row lives in the three binaries' tests: build and run only those.
        for pkg in sorted({b for b, *_ in REFERENCED} | {b for b, _ in CATALOGUE} | {"metrics-sink"}):
            cmd += ["-p", pkg]
        names = " | ".join(f"(binary_id({b}::cli) & test(={t}))" for b, t, *_ in REFERENCED)
        suites = " | ".join(f"binary({s})" for s in SUITE_AREAS if "::" not in s)
        modules = " | ".join(f"(binary(it) & test(/^{s.split('::', 1)[1]}::/))" for s in SUITE_AREAS if "::" in s)
        cmd += ["-E", f"binary(hardening) | {suites} | {modules} | {names}"]
    print("running:", " ".join(cmd), file=sys.stderr)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    results = parse_libtest_json(proc.stdout.splitlines())
    if not results:
        sys.exit(f"nextest produced no test results (exit {proc.returncode})")
    return results


def escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# Sections below this line in the output file are written by hand (how a check was made, e.g.
# "Hermetic test servers") and kept as they are when the tables above are regenerated.
HAND_WRITTEN = "<!-- Hand-written below; kept by scripts/reliability-report.py. -->"


def hand_written_tail(path: Path) -> str:
    """The hand-written part of an existing output file, marker included, or ""."""
    try:
        old = path.read_text()
    except OSError:
        return ""
    i = old.find(HAND_WRITTEN)
    return old[i:].rstrip("\n") if i >= 0 else ""


def render(results: list[Result], source: str) -> str:
    by_key = {(r.binary, r.name): r for r in results}
    rows: list[Result] = []
    for r in results:
        m = HARDENING.match(r.name)
        if m:
            r.area = m.group(1)
        elif r.suite in SUITE_AREAS:
            r.area = SUITE_AREAS[r.suite]
        else:
            continue
        short = r.name.split("::", 1)[1] if m else r.name.rsplit("::", 1)[-1]
        default = SUITE_EXPECTED.get(r.area, "see the test") if not m else "see the test"
        tried, expected = CATALOGUE.get((r.binary, r.name), (short.replace("_", " "), default))
        r.tried, r.expected = tried, expected
        rows.append(r)
    for binary, name, area, tried, expected in REFERENCED:
        r = by_key.get((binary, name))
        if r is None:
            continue
        r.area, r.tried, r.expected = area, tried, expected
        r.extra["referenced"] = True
        rows.append(r)
    # Catalogue entries that did not run at all are shown too: a missing test is a finding.
    seen = {(r.binary, r.name) for r in rows}
    for (binary, name), (tried, expected) in CATALOGUE.items():
        if (binary, name) not in seen:
            area = name.split("::", 1)[0]
            rows.append(Result(binary, name, False, "did not run", None, tried, expected, area))

    total = len(rows)
    not_run = [r for r in rows if not r.passed and r.message == "did not run"]
    failed = [r for r in rows if not r.passed and r.message != "did not run"]
    lines = [
        "# Reliability: what was tried, and what happened",
        "",
        "<!-- Generated by scripts/reliability-report.py; do not edit by hand. -->",
        "",
        "Issue 7 asks for proof that bad input and failing dependencies end in a clear error with the",
        "right exit code (`2` input, `3` dependency), that tokens never show, and that the gate never",
        "opens by mistake; issue 12 adds bounded inputs, polling limits and secrets in every form.",
        "Each row below is one test (`bins/*/tests/{hardening,secrets,bounded_inputs,bounded_polling}.rs`,",
        "`metrics-sink`'s `bounded_body`, plus older tests",
        "that already covered a case, marked ↩). *Observed* is the outcome of the run this file was",
        "generated from; a **FAIL** is a bug still open (the message says what went wrong).",
        "",
        f"Generated {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} from {source}: "
        f"{total - len(failed) - len(not_run)} passed, {len(failed)} failed"
        + (f", {len(not_run)} not run" if not_run else "") + f", of {total}.",
        "",
        "Regenerate: `python3 scripts/reliability-report.py` (runs `cargo nextest`), or",
        "`python3 scripts/reliability-report.py --junit target/nextest/ci/junit.xml`.",
        "Fuzzing (cargo-fuzz targets and their short runs): `fuzz/README.md`.",
        "",
    ]
    for area, title in AREAS.items():
        group = sorted((r for r in rows if r.area == area), key=lambda r: (r.binary, r.name))
        if not group:
            continue
        lines += [f"## {title}", "", "| binary | test | tried | expected | observed |", "| --- | --- | --- | --- | --- |"]
        for r in group:
            mark = " ↩" if r.extra.get("referenced") else ""
            if r.passed:
                observed = "pass"
            elif r.message == "did not run":
                observed = "not run"
            else:
                observed = f"**FAIL**: {escape(r.message) or 'failed'}"
            lines.append(f"| {r.binary} | `{r.name}`{mark} | {escape(r.tried)} | {escape(r.expected)} | {observed} |")
        lines.append("")
    if failed:
        lines += ["## Open failures", ""]
        for r in sorted(failed, key=lambda r: (r.binary, r.name)):
            lines.append(f"- {r.binary} `{r.name}`: {escape(r.message) or 'failed'}")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--junit", type=Path, help="JUnit XML from `cargo nextest run --profile ci`")
    src.add_argument("--libtest-json", type=Path, help="saved `--message-format libtest-json(-plus)` output")
    ap.add_argument("--all", action="store_true", help="run the whole workspace, not only the rows")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "reliability.md")
    args = ap.parse_args()
    if args.junit:
        results, source = parse_junit(args.junit), f"`{args.junit.name}` (JUnit)"
    elif args.libtest_json:
        results = parse_libtest_json(args.libtest_json.read_text().splitlines())
        source = f"`{args.libtest_json.name}` (libtest JSON)"
    else:
        results, source = run_nextest(args.all), "`cargo nextest run` (libtest-json-plus)"
    text = render(results, source)
    tail = hand_written_tail(args.out)
    if tail:
        text = text.rstrip("\n") + "\n\n" + tail
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
