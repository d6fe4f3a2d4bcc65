//! The in-process sentence encoder: all-MiniLM-L6-v2 on candle's CPU
//! backend, behind the `Encoder` port. `scripts/setup-encoder` puts the
//! files it loads (`config.json`, `tokenizer.json`, `model.safetensors`) in
//! `HEARTH_ENCODER_DIR`; nothing is fetched at run time.
//!
//! It reproduces sentence-transformers' pipeline for this model: BERT, mean
//! pooling over the attention mask, then L2 normalisation. The wheel's
//! `modules.json` names a Normalize step whose folder is absent, so that
//! step is done here in code.

use crate::ports::{EncodeError, Encoder};
use async_trait::async_trait;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokenizers::{Tokenizer, TruncationParams};

/// The name kept with the vectors this encoder makes.
pub const MODEL: &str = "all-minilm-l6-v2";

/// Texts encoded in one forward pass. Longer inputs are split; each chunk
/// is padded only to its own longest text.
const CHUNK: usize = 32;

/// The window sentence-transformers trains and runs this model with
/// (`sentence_bert_config.json`'s `max_seq_length`), used when that file
/// is absent.
const DEFAULT_MAX_TOKENS: usize = 256;

/// Why the model files could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the encoder's {file} is missing from {dir} (run scripts/setup-encoder)")]
    Missing { dir: PathBuf, file: &'static str },
    #[error("the encoder's {path} could not be loaded: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// all-MiniLM-L6-v2, loaded once and shared: cloning is cheap.
#[derive(Clone)]
pub struct MiniLm {
    inner: Arc<Inner>,
}

struct Inner {
    model: BertModel,
    tokenizer: Tokenizer,
    dim: usize,
    device: Device,
}

impl MiniLm {
    /// Loads the model from `dir` (about 0.1 s on 2 cores). The weights are
    /// copied into memory, so nothing refers to the files afterwards.
    pub fn load(dir: &Path) -> Result<Self, LoadError> {
        let Files {
            config,
            tokenizer,
            weights: weights_path,
        } = Files::load(dir)?;

        let device = Device::Cpu;
        // SAFETY: the map is read only while `BertModel::load` copies every
        // tensor into memory of its own, and dropped with `vb` right after.
        // The file is not changed meanwhile: scripts/setup-encoder replaces
        // files by renaming, which leaves a mapped file intact. Mapping
        // rather than reading halves the load (about 50 ms against 100).
        let vb = unsafe {
            VarBuilder::from_mmaped_safetensors(
                std::slice::from_ref(&weights_path),
                DType::F32,
                &device,
            )
        }
        .map_err(|e| invalid(&weights_path, e))?;
        let model = BertModel::load(vb, &config).map_err(|e| invalid(&weights_path, e))?;

        Ok(Self {
            inner: Arc::new(Inner {
                model,
                tokenizer,
                dim: config.hidden_size,
                device,
            }),
        })
    }

    /// Encodes on the calling thread. For code already off the async
    /// runtime (benches, evaluations); async callers use `Encoder::encode`,
    /// which runs this on the blocking pool.
    pub fn encode_blocking<S: AsRef<str>>(
        &self,
        texts: &[S],
    ) -> Result<Vec<Vec<f32>>, EncodeError> {
        self.inner.encode(texts)
    }
}

#[async_trait]
impl Encoder for MiniLm {
    fn dim(&self) -> usize {
        self.inner.dim
    }

    fn model(&self) -> &str {
        MODEL
    }

    async fn encode(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EncodeError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let inner = Arc::clone(&self.inner);
        let texts = texts.to_vec();
        tokio::task::spawn_blocking(move || inner.encode(&texts))
            .await
            .map_err(|e| EncodeError::Interrupted(e.to_string()))?
    }
}

impl Inner {
    fn encode<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>, EncodeError> {
        let mut tokens = Vec::with_capacity(texts.len());
        for text in texts {
            let encoding = self
                .tokenizer
                .encode(text.as_ref(), true)
                .map_err(|e| EncodeError::Tokenize(e.to_string()))?;
            tokens.push(encoding.get_ids().to_vec());
        }
        // Texts of like length share a chunk, so little of a chunk is padding.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| tokens[i].len());

        let mut vectors = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(CHUNK) {
            let ids: Vec<&[u32]> = chunk.iter().map(|&i| tokens[i].as_slice()).collect();
            let pooled = self
                .forward(&ids)
                .map_err(|e| EncodeError::Inference(e.to_string()))?;
            for (&i, vector) in chunk.iter().zip(pooled) {
                vectors[i] = vector;
            }
        }
        Ok(vectors)
    }

    /// One forward pass over token ids padded to the longest, then mean
    /// pooling over the real tokens and L2 normalisation.
    fn forward(&self, ids: &[&[u32]]) -> candle_core::Result<Vec<Vec<f32>>> {
        let rows = ids.len();
        let width = ids.iter().map(|t| t.len()).max().unwrap_or(0).max(1);
        let mut flat_ids = vec![0u32; rows * width];
        let mut flat_mask = vec![0u32; rows * width];
        for (row, tokens) in ids.iter().enumerate() {
            flat_ids[row * width..row * width + tokens.len()].copy_from_slice(tokens);
            flat_mask[row * width..row * width + tokens.len()].fill(1);
        }
        let input_ids = Tensor::from_vec(flat_ids, (rows, width), &self.device)?;
        let mask = Tensor::from_vec(flat_mask, (rows, width), &self.device)?;
        let token_type_ids = input_ids.zeros_like()?;

        let hidden = self
            .model
            .forward(&input_ids, &token_type_ids, Some(&mask))?;
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        // At least [CLS] and [SEP] are real tokens, so no count is zero.
        let counts = mask.sum(1)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.maximum(1e-12f32)?;
        mean.broadcast_div(&norms)?.to_vec2::<f32>()
    }
}

/// What every user of the model's files starts from: its configuration,
/// the tokenizer set up as this adapter runs it (no padding, truncated to
/// the window), and the path of the weights.
pub struct Files {
    pub config: Config,
    pub tokenizer: Tokenizer,
    pub weights: PathBuf,
}

impl Files {
    pub fn load(dir: &Path) -> Result<Self, LoadError> {
        let file = |name: &'static str| {
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(LoadError::Missing {
                    dir: dir.to_path_buf(),
                    file: name,
                })
            }
        };
        let config_path = file("config.json")?;
        let tokenizer_path = file("tokenizer.json")?;
        let weights = file("model.safetensors")?;

        let config: Config = std::fs::read_to_string(&config_path)
            .map_err(|e| invalid(&config_path, e))
            .and_then(|s| serde_json::from_str(&s).map_err(|e| invalid(&config_path, e)))?;
        let max_tokens = max_tokens(dir, &config)?;

        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| invalid(&tokenizer_path, e))?;
        // tokenizer.json pads every input to 128 tokens, which makes a short
        // message cost several times what it needs; chunks are padded here
        // to their own longest text instead.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..TruncationParams::default()
            }))
            .map_err(|e| invalid(&tokenizer_path, e))?;
        Ok(Self {
            config,
            tokenizer,
            weights,
        })
    }
}

pub(crate) fn invalid(path: &Path, e: impl std::fmt::Display) -> LoadError {
    LoadError::Invalid {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The token window: `sentence_bert_config.json`'s `max_seq_length` where
/// that file is present, never more than the model's positions allow.
fn max_tokens(dir: &Path, config: &Config) -> Result<usize, LoadError> {
    #[derive(serde::Deserialize)]
    struct SentenceBert {
        max_seq_length: usize,
    }
    let path = dir.join("sentence_bert_config.json");
    let window = match std::fs::read_to_string(&path) {
        Ok(s) => {
            serde_json::from_str::<SentenceBert>(&s)
                .map_err(|e| invalid(&path, e))?
                .max_seq_length
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => DEFAULT_MAX_TOKENS,
        Err(e) => return Err(invalid(&path, e)),
    };
    Ok(window.min(config.max_position_embeddings))
}
