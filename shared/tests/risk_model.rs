//! The crisis classifier's committed weights (`data/safety/classifier/`)
//! and its adapter on the real encoder files.
//!
//! - The metadata names the sha256 of `data/safety/train.jsonl` followed
//!   by `data/safety/train_extra.jsonl`: when the training set changes and
//!   the weights are not retrained, this fails.
//! - The weights load, with every tensor the adapter needs.
//! - One forward pass: the `vector` of an assessment equals `MiniLm`'s
//!   vector of the same prepared text within 1e-4, batch or one at a time.
//! - A missing file names what to run.
//!
//! The encoder files come from `scripts/setup-encoder`
//! (`HEARTH_ENCODER_DIR` overrides where). Without them the tests that need
//! them say so and pass, unless `HEARTH_REQUIRE_ENCODER=1`.

use hearth::adapters::minilm::MiniLm;
use hearth::adapters::risk_model::{METADATA, Metadata, RiskClassifier, WEIGHTS};
use hearth::domain::safety::learned::{CLASSES, judge_turn};
use hearth::domain::safety::prepare;
use hearth::ports::{Encoder, RiskModel};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn classifier_dir() -> PathBuf {
    repo().join("data/safety/classifier")
}

fn encoder_dir() -> PathBuf {
    std::env::var_os("HEARTH_ENCODER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".models/all-minilm-l6-v2"))
}

fn metadata() -> Metadata {
    let text = std::fs::read_to_string(classifier_dir().join(METADATA)).expect("metadata.json");
    serde_json::from_str(&text).expect("valid metadata")
}

/// The classifier with its encoder, or `None` (said) when the encoder's
/// files are absent and not required.
fn classifier() -> Option<(RiskClassifier, MiniLm)> {
    let dir = encoder_dir();
    if !dir.join("model.safetensors").is_file()
        && std::env::var("HEARTH_REQUIRE_ENCODER").as_deref() != Ok("1")
    {
        println!(
            "skipped: no encoder files in {} (run scripts/setup-encoder)",
            dir.display()
        );
        return None;
    }
    let model = RiskClassifier::load(&dir, &classifier_dir()).expect("classifier loads");
    let base = MiniLm::load(&dir).expect("encoder loads");
    Some((model, base))
}

#[test]
fn the_weights_were_trained_on_the_current_training_set() {
    // The trainer's files, in its order: train.jsonl's bytes, then
    // train_extra.jsonl's.
    let mut hasher = Sha256::new();
    for file in ["data/safety/train.jsonl", "data/safety/train_extra.jsonl"] {
        hasher.update(std::fs::read(repo().join(file)).expect(file));
    }
    let sha: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let m = metadata();
    assert_eq!(
        m.train_sha256, sha,
        "data/safety/train.jsonl or train_extra.jsonl changed since the classifier was trained: rerun `cargo run -p hearth --bin train-screen` and commit data/safety/classifier/"
    );
    assert_eq!(
        m.classes,
        [
            "none",
            "suicidal",
            "self_harm",
            "harm_to_others",
            "danger_now"
        ]
    );
    assert!(0.0 < m.thresholds.turn && m.thresholds.turn < 1.0);
    assert!(0.0 < m.thresholds.conversation && m.thresholds.conversation < 1.0);
}

#[test]
fn the_weights_hold_every_tensor_the_adapter_needs_in_f16() {
    let m = metadata();
    let tensors =
        candle_core::safetensors::load(classifier_dir().join(WEIGHTS), &candle_core::Device::Cpu)
            .expect("weights load");
    for layer in &m.fine_tuned_layers {
        for name in hearth::adapters::bert::LAYER_TENSORS {
            let key = format!("encoder.layer.{layer}.{name}");
            let t = tensors.get(&key).unwrap_or_else(|| panic!("{key} missing"));
            assert_eq!(t.dtype(), candle_core::DType::F16, "{key}");
        }
    }
    assert_eq!(tensors["head.weight"].dims(), &[CLASSES.len(), 384]);
    assert_eq!(tensors["head.bias"].dims(), &[CLASSES.len()]);
    assert_eq!(tensors.len(), 16 * m.fine_tuned_layers.len() + 2);
}

const TEXTS: &[&str] = &[
    "i cant do this anymore, i want to die",
    "this traffic is killing me lol",
    "what has helped me calm down before a big exam?",
    "quiero desaparecer para siempre",
    "k1ll mys3lf",
    "",
    "a much longer message about my week: work was long, my sister visited, we cooked and watched a film, and I slept badly on Thursday but otherwise it was fine",
];

#[test]
fn one_pass_gives_the_base_encoders_vector_of_the_prepared_text() {
    let Some((model, base)) = classifier() else {
        return;
    };
    let prepared: Vec<String> = TEXTS.iter().map(|t| prepare(t)).collect();
    let expected = base.encode_blocking(&prepared).expect("encodes");
    let batch = model.assess_blocking(TEXTS).expect("assesses");
    assert_eq!(batch.len(), TEXTS.len());
    for (n, text) in TEXTS.iter().enumerate() {
        let one = model.assess_blocking(&[text]).expect("assesses");
        for (got, label) in [(&batch[n], "batch"), (&one[0], "alone")] {
            assert_eq!(got.vector.len(), 384);
            let gap = got
                .vector
                .iter()
                .zip(&expected[n])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(gap < 1e-4, "{label} {text:?}: vectors differ by {gap}");
            let r = got.risk;
            let sum = r.none + r.suicidal + r.self_harm + r.harm_to_others + r.danger_now;
            assert!(
                (sum - 1.0).abs() < 1e-4,
                "{label} {text:?}: probabilities sum to {sum}"
            );
        }
        let gap = (batch[n].risk.crisis() - one[0].risk.crisis()).abs();
        assert!(gap < 1e-3, "{text:?}: batch and alone differ by {gap}");
    }
    // The base encoder's vectors of raw text, as `MiniLm` gives them.
    let raw = model.encode_blocking(TEXTS).expect("encodes");
    let base_raw = base.encode_blocking(TEXTS).expect("encodes");
    for (a, b) in raw.iter().zip(&base_raw) {
        let gap = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(gap < 1e-4, "raw vectors differ by {gap}");
    }
}

#[tokio::test]
async fn the_port_assesses_on_the_blocking_pool_with_the_trained_thresholds() {
    let Some((model, _)) = classifier() else {
        return;
    };
    let m = metadata();
    assert_eq!(model.thresholds(), m.thresholds);
    assert!(RiskModel::model(&model).starts_with("all-minilm-l6-v2+crisis-"));
    assert_eq!(Encoder::model(&model), "all-minilm-l6-v2");
    assert!(model.assess(&[]).await.expect("empty").is_empty());
    let texts = vec![
        "i am going to kill myself tonight".to_string(),
        "what should i cook for dinner tomorrow?".to_string(),
    ];
    let out = model.assess(&texts).await.expect("assesses");
    assert_eq!(out.len(), 2);
    let t = model.thresholds();
    assert!(judge_turn(&out[0].risk, &t).is_some(), "{:?}", out[0].risk);
    assert!(judge_turn(&out[1].risk, &t).is_none(), "{:?}", out[1].risk);
    let vectors = model.encode(&texts).await.expect("encodes");
    assert_eq!(vectors.len(), 2);
}

#[test]
fn missing_files_name_what_to_run() {
    let empty = tempfile::tempdir().expect("tempdir");
    let err = RiskClassifier::load(empty.path(), &classifier_dir())
        .err()
        .expect("no encoder files");
    assert!(err.to_string().contains("scripts/setup-encoder"), "{err}");
    if encoder_dir().join("model.safetensors").is_file() {
        let err = RiskClassifier::load(&encoder_dir(), empty.path())
            .err()
            .expect("no classifier files");
        assert!(err.to_string().contains("train-screen"), "{err}");
    }
}
