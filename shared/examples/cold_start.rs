//! Start-to-ready of the crisis screen's in-process model, as a cold
//! Lambda container pays it: from the top of `main` to the first
//! assessment of a message (encoder and classifier loaded from disk, one
//! forward pass), and the process's peak resident memory after it.
//!
//!   cargo run --release -p hearth --example cold_start
//!   taskset -c 0 cargo run --release -p hearth --example cold_start   # one vCPU
//!
//! Reads HEARTH_ENCODER_DIR (default .models/all-minilm-l6-v2, from
//! scripts/setup-encoder) and HEARTH_CLASSIFIER_DIR (default
//! data/safety/classifier). Prints one JSON line; BENCHMARKS.md records it.

use hearth::adapters::risk_model::RiskClassifier;
use std::path::PathBuf;
use std::time::Instant;

fn dir(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

/// Peak resident set size in MiB (Linux: VmHWM in /proc/self/status).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let started = Instant::now();
    let encoder = dir("HEARTH_ENCODER_DIR", ".models/all-minilm-l6-v2");
    let classifier = dir("HEARTH_CLASSIFIER_DIR", "data/safety/classifier");
    let model = match RiskClassifier::load(&encoder, &classifier) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("cold_start: {e}");
            std::process::exit(1);
        }
    };
    let loaded = started.elapsed();
    let first = model
        .assess_blocking(&["i don't think i can keep doing this"])
        .expect("one assessment");
    let ready = started.elapsed();
    assert_eq!(first.len(), 1);
    println!(
        "{}",
        serde_json::json!({
            "load_ms": loaded.as_secs_f64() * 1e3,
            "start_to_ready_ms": ready.as_secs_f64() * 1e3,
            "first_assessment_ms": (ready - loaded).as_secs_f64() * 1e3,
            "peak_rss_mib": peak_rss_mib(),
        })
    );
}
