//! The crisis screen's learned layer in process: all-MiniLM-L6-v2 with its
//! top layers fine-tuned as a crisis classifier, behind the `RiskModel`
//! port (and `Encoder`, so one loaded model serves both).
//!
//! One forward pass gives both outputs. The lower layers run once; then the
//! base model's top layers give the sentence vector (mean-pooled and unit
//! length, the same vector `MiniLm` gives, for retrieval and the
//! conversation layer), and the fine-tuned copies of those layers, mean
//! pooling and a linear head give the class probabilities. Fine-tuning only
//! the top layers keeps the base vectors the retrieval vectors, costs one
//! copy of those layers per message, and fits training on 2 CPU cores.
//!
//! The encoder's files come from `scripts/setup-encoder`; the fine-tuned
//! layers, the head and the thresholds chosen on validation are committed
//! in `data/safety/classifier/` and rebuilt by
//! `cargo run -p hearth --bin train-screen` from `data/safety/train.jsonl`
//! and the training-only `data/safety/train_extra.jsonl`.

use super::bert::{self, Bert, Layer};
use super::minilm::{self, Files};
use crate::domain::safety::learned::{CLASSES, RiskScores, Thresholds};
use crate::domain::safety::prepare;
use crate::ports::{Assessment, EncodeError, Encoder, RiskModel};
use async_trait::async_trait;
use candle_core::{D, DType, Device, Module};
use candle_nn::{Linear, VarBuilder};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokenizers::Tokenizer;

/// The classifier's weights: the fine-tuned layers (named as the base
/// model names them, `encoder.layer.N.…`) and `head.weight`/`head.bias`,
/// in f16.
pub const WEIGHTS: &str = "model.safetensors";
/// How the weights were trained and the thresholds chosen with them.
pub const METADATA: &str = "metadata.json";

/// Texts run through one forward pass; longer inputs are split.
const CHUNK: usize = 32;

/// `data/safety/classifier/metadata.json`, written by the trainer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Metadata {
    /// The encoder the layers were fine-tuned from (`minilm::MODEL`).
    pub base_model: String,
    /// The base model's layers the classifier replaces, the top ones.
    pub fine_tuned_layers: Vec<usize>,
    /// The classes in the head's output order.
    pub classes: Vec<String>,
    /// `turn` applies to one prepared message's crisis probability
    /// (1 - p(none)); `conversation` to the noisy-or of the crisis
    /// probabilities of the last `conversation_turns` user turns
    /// (`domain::safety::conversation::combined_crisis`).
    pub thresholds: Thresholds,
    pub conversation_turns: usize,
    /// sha256 of `data/safety/train.jsonl`'s bytes followed by
    /// `data/safety/train_extra.jsonl`'s, as trained on.
    pub train_sha256: String,
    pub seed: u64,
    pub epochs: usize,
    /// Figures on the validation slice of train.jsonl, for the record.
    pub validation: serde_json::Value,
}

/// Why the classifier could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Encoder(#[from] minilm::LoadError),
    #[error(
        "the crisis classifier's {file} is missing from {dir} (rebuild it with `cargo run -p hearth --bin train-screen`)"
    )]
    Missing { dir: PathBuf, file: &'static str },
    #[error("the crisis classifier's {path} could not be loaded: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// The fine-tuned classifier with its base encoder, loaded once and shared:
/// cloning is cheap.
#[derive(Clone)]
pub struct RiskClassifier {
    inner: Arc<Inner>,
}

struct Inner {
    tokenizer: Tokenizer,
    base: Bert,
    /// Where the fine-tuned layers start: `base.layers[..split]` are shared.
    split: usize,
    tuned: Vec<Layer>,
    head: Linear,
    metadata: Metadata,
    name: String,
    device: Device,
}

impl RiskClassifier {
    /// Loads the encoder from `encoder_dir` (scripts/setup-encoder's) and
    /// the classifier from `classifier_dir` (data/safety/classifier).
    pub fn load(encoder_dir: &Path, classifier_dir: &Path) -> Result<Self, LoadError> {
        let Files {
            config,
            tokenizer,
            weights,
        } = Files::load(encoder_dir)?;
        let device = Device::Cpu;
        // SAFETY: as in minilm.rs, the map is read while the tensors are
        // copied out (every tensor is converted to f32) and dropped after.
        let vb = unsafe {
            VarBuilder::from_mmaped_safetensors(std::slice::from_ref(&weights), DType::F32, &device)
        }
        .map_err(|e| minilm::invalid(&weights, e))?;
        let base = Bert::load(&vb, &config).map_err(|e| minilm::invalid(&weights, e))?;
        drop(vb);

        let file = |name: &'static str| {
            let path = classifier_dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(LoadError::Missing {
                    dir: classifier_dir.to_path_buf(),
                    file: name,
                })
            }
        };
        let metadata_path = file(METADATA)?;
        let weights_path = file(WEIGHTS)?;
        let invalid = |path: &Path, e: &dyn std::fmt::Display| LoadError::Invalid {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let metadata: Metadata = std::fs::read_to_string(&metadata_path)
            .map_err(|e| invalid(&metadata_path, &e))
            .and_then(|s| serde_json::from_str(&s).map_err(|e| invalid(&metadata_path, &e)))?;
        let layers = config.num_hidden_layers;
        let split = layers.saturating_sub(metadata.fine_tuned_layers.len());
        if metadata.base_model != minilm::MODEL
            || metadata.fine_tuned_layers != (split..layers).collect::<Vec<_>>()
            || metadata.classes.len() != CLASSES.len()
        {
            return Err(invalid(
                &metadata_path,
                &format!(
                    "expects {} with its top layers fine-tuned and {} classes",
                    minilm::MODEL,
                    CLASSES.len()
                ),
            ));
        }
        // SAFETY: as above; f16 tensors are converted to f32 copies.
        let vb = unsafe {
            VarBuilder::from_mmaped_safetensors(
                std::slice::from_ref(&weights_path),
                DType::F32,
                &device,
            )
        }
        .map_err(|e| invalid(&weights_path, &e))?;
        let tuned = (split..layers)
            .map(|i| {
                Layer::from_tensors(&config, &|n| {
                    vb.get_unchecked_dtype(&format!("encoder.layer.{i}.{n}"), DType::F32)
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()
            .map_err(|e| invalid(&weights_path, &e))?;
        let head = vb
            .get((CLASSES.len(), config.hidden_size), "head.weight")
            .and_then(|w| Ok(Linear::new(w, Some(vb.get(CLASSES.len(), "head.bias")?))))
            .map_err(|e| invalid(&weights_path, &e))?;
        let name = format!(
            "{}+crisis-{}",
            minilm::MODEL,
            metadata.train_sha256.get(..12).unwrap_or("untrained")
        );
        Ok(Self {
            inner: Arc::new(Inner {
                tokenizer,
                base,
                split,
                tuned,
                head,
                metadata,
                name,
                device,
            }),
        })
    }

    /// How the classifier was trained.
    pub fn metadata(&self) -> &Metadata {
        &self.inner.metadata
    }

    /// Assesses on the calling thread (benches, evaluations); async callers
    /// use `RiskModel::assess`. Each text is read in the screen's form
    /// (`prepare`), for both outputs.
    pub fn assess_blocking<S: AsRef<str>>(
        &self,
        texts: &[S],
    ) -> Result<Vec<Assessment>, EncodeError> {
        let prepared: Vec<String> = texts.iter().map(|t| prepare(t.as_ref())).collect();
        let (vectors, risks) = self.inner.run(&prepared, true)?;
        Ok(vectors
            .into_iter()
            .zip(risks)
            .map(|(vector, risk)| Assessment { vector, risk })
            .collect())
    }

    /// The base encoder's vectors of texts as given (as `MiniLm` encodes
    /// them), without the classifier.
    pub fn encode_blocking<S: AsRef<str>>(
        &self,
        texts: &[S],
    ) -> Result<Vec<Vec<f32>>, EncodeError> {
        Ok(self.inner.run(texts, false)?.0)
    }
}

#[async_trait]
impl RiskModel for RiskClassifier {
    fn model(&self) -> &str {
        &self.inner.name
    }

    fn thresholds(&self) -> Thresholds {
        self.inner.metadata.thresholds
    }

    async fn assess(&self, texts: &[String]) -> Result<Vec<Assessment>, EncodeError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let this = self.clone();
        let texts = texts.to_vec();
        tokio::task::spawn_blocking(move || this.assess_blocking(&texts))
            .await
            .map_err(|e| EncodeError::Interrupted(e.to_string()))?
    }
}

#[async_trait]
impl Encoder for RiskClassifier {
    fn dim(&self) -> usize {
        self.inner.base.config.hidden_size
    }

    fn model(&self) -> &str {
        minilm::MODEL
    }

    async fn encode(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EncodeError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let this = self.clone();
        let texts = texts.to_vec();
        tokio::task::spawn_blocking(move || this.encode_blocking(&texts))
            .await
            .map_err(|e| EncodeError::Interrupted(e.to_string()))?
    }
}

type Outputs = (Vec<Vec<f32>>, Vec<RiskScores>);
/// One chunk's vectors, and its class probabilities when asked for.
type Pass = (Vec<Vec<f32>>, Option<Vec<RiskScores>>);

impl Inner {
    fn run<S: AsRef<str>>(&self, texts: &[S], risk: bool) -> Result<Outputs, EncodeError> {
        let mut tokens = Vec::with_capacity(texts.len());
        for text in texts {
            let encoding = self
                .tokenizer
                .encode(text.as_ref(), true)
                .map_err(|e| EncodeError::Tokenize(e.to_string()))?;
            tokens.push(encoding.get_ids().to_vec());
        }
        // Texts of like length share a chunk, so little of it is padding.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| tokens[i].len());

        let mut vectors = vec![Vec::new(); texts.len()];
        let mut risks =
            vec![RiskScores::from_probabilities([1.0, 0.0, 0.0, 0.0, 0.0]); texts.len()];
        for chunk in order.chunks(CHUNK) {
            let ids: Vec<&[u32]> = chunk.iter().map(|&i| tokens[i].as_slice()).collect();
            let (v, r) = self
                .forward(&ids, risk)
                .map_err(|e| EncodeError::Inference(e.to_string()))?;
            for (n, &i) in chunk.iter().enumerate() {
                vectors[i] = v[n].clone();
                if let Some(r) = &r {
                    risks[i] = r[n];
                }
            }
        }
        Ok((vectors, risks))
    }

    /// The lower layers once, then the base top layers to the unit vector
    /// and, when `risk`, the fine-tuned ones to the class probabilities.
    fn forward(&self, ids: &[&[u32]], risk: bool) -> candle_core::Result<Pass> {
        let (input_ids, mask) = bert::batch(ids, &self.device)?;
        let bias = bert::attention_bias(&mask)?;
        let mut shared = self.base.embeddings.forward(&input_ids)?;
        for layer in &self.base.layers[..self.split] {
            shared = layer.forward(&shared, &bias, None)?;
        }
        let mut hidden = shared.clone();
        for layer in &self.base.layers[self.split..] {
            hidden = layer.forward(&hidden, &bias, None)?;
        }
        let vectors = bert::normalise(&bert::mean_pool(&hidden, &mask)?)?.to_vec2::<f32>()?;
        if !risk {
            return Ok((vectors, None));
        }
        let mut tuned = shared;
        for layer in &self.tuned {
            tuned = layer.forward(&tuned, &bias, None)?;
        }
        let logits = self.head.forward(&bert::mean_pool(&tuned, &mask)?)?;
        let probs = candle_nn::ops::softmax(&logits, D::Minus1)?.to_vec2::<f32>()?;
        let risks = probs
            .into_iter()
            .map(|p| RiskScores::from_probabilities([p[0], p[1], p[2], p[3], p[4]]))
            .collect();
        Ok((vectors, Some(risks)))
    }
}
