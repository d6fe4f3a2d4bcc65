//! The composition root loads the crisis screen's learned layer at start,
//! as `hearth serve` and `hearth import` build their ports
//! (`local::screening_ports`): the real model when its files are there, one
//! warning and the explicit cues alone when they are not, and no start at
//! all when `HEARTH_SCREEN_MODEL=required` and they are not.
//!
//! The real-model test needs the encoder's files (`./scripts/setup-encoder`);
//! without them it says so and passes, unless `HEARTH_REQUIRE_ENCODER=1`.

use hearth::app::local::{self, Backend, LocalError};
use hearth::config::{Config, Mode};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The encoder's files as scripts/setup-encoder lays them out (or
/// `HEARTH_ENCODER_DIR`).
fn encoder_dir() -> PathBuf {
    std::env::var_os("HEARTH_ENCODER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".models/all-minilm-l6-v2"))
}

/// A local configuration from `pairs` alone, as `hearth serve` reads the
/// environment.
fn config(data_dir: &Path, pairs: &[(&str, String)]) -> Config {
    let env: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    Config::from_env(|k| env.get(k).cloned(), Mode::Local { data_dir }).expect("config")
}

#[tokio::test]
async fn serve_loads_the_real_crisis_screen_model_into_its_ports() {
    let encoder = encoder_dir();
    let classifier = repo().join("data/safety/classifier");
    if !encoder.join("model.safetensors").is_file() {
        assert_ne!(
            std::env::var("HEARTH_REQUIRE_ENCODER").as_deref(),
            Ok("1"),
            "HEARTH_REQUIRE_ENCODER=1 but {} has no model.safetensors",
            encoder.display()
        );
        println!(
            "skipped: no encoder files in {} (run ./scripts/setup-encoder; HEARTH_REQUIRE_ENCODER=1 makes this a failure)",
            encoder.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        &[
            ("HEARTH_ENCODER_DIR", encoder.display().to_string()),
            ("HEARTH_CLASSIFIER_DIR", classifier.display().to_string()),
            ("HEARTH_SCREEN_MODEL", "required".into()),
        ],
    );
    let (ports, _) = local::screening_ports(&config, Backend::Embedded, dir.path())
        .await
        .expect("the model loads");
    let risk = ports.risk.expect("the learned layer is in the ports");
    assert!(
        risk.model()
            .starts_with(&format!("{}+crisis-", hearth::adapters::minilm::MODEL)),
        "{}",
        risk.model()
    );
    let metadata: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(classifier.join("metadata.json")).unwrap())
            .unwrap();
    let turn = metadata["thresholds"]["turn"].as_f64().unwrap();
    assert!(
        (f64::from(risk.thresholds().turn) - turn).abs() < 1e-6,
        "the committed classifier's turn threshold {turn}, not {:?}",
        risk.thresholds()
    );
    let read = risk
        .assess(&["I had a nice walk today".to_string()])
        .await
        .expect("it assesses");
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].vector.len(), 384, "all-MiniLM-L6-v2's vector");
}

#[tokio::test]
async fn a_required_screen_model_that_is_missing_stops_the_start_and_names_its_dir() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("no-classifier-here");
    let with = |screen: &str| {
        config(
            dir.path(),
            &[
                ("HEARTH_ENCODER_DIR", encoder_dir().display().to_string()),
                ("HEARTH_CLASSIFIER_DIR", bogus.display().to_string()),
                ("HEARTH_SCREEN_MODEL", screen.into()),
            ],
        )
    };
    let data = dir.path().join("data");
    let err = local::screening_ports(&with("required"), Backend::Embedded, &data)
        .await
        .err()
        .expect("no start without the model");
    assert!(matches!(err, LocalError::ScreenModel(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&bogus.display().to_string()),
        "the error names the directory: {message}"
    );
    assert!(message.contains("HEARTH_SCREEN_MODEL"), "{message}");
    assert!(
        !data.exists(),
        "the store is not opened before the model fails"
    );

    // Optional (the default): the same start goes ahead on the cues alone.
    let (ports, _) = local::screening_ports(&with("optional"), Backend::Embedded, &data)
        .await
        .expect("starts without the model");
    assert!(ports.risk.is_none());
}
