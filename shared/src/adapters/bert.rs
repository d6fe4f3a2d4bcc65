//! A small BERT forward on candle_nn, layer by layer, for the crisis
//! screen's fine-tuned classifier (`risk_model.rs`) and its trainer
//! (`src/bin/train-screen.rs`). candle-transformers' `BertModel` keeps its
//! layers private, and the classifier needs them apart: the lower layers
//! run once and feed both the base model's top layers (the retrieval
//! vector) and the fine-tuned copies of them (the risk scores).
//!
//! It loads the same safetensors as `minilm.rs` and computes what
//! `BertModel` computes (tests/risk_model.rs holds the vectors equal within
//! 1e-4). Training mode takes a seeded dropout and uses the layer norm that
//! candle can differentiate; inference uses the fused one.

use candle_core::{D, DType, Device, Module, Result, Tensor};
use candle_nn::Linear;
use candle_transformers::models::bert::Config;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Dropout with its own seeded generator, so a training run repeats
/// (candle's CPU `rand` cannot be seeded).
pub struct Dropout {
    rng: StdRng,
    p: f32,
}

impl Dropout {
    pub fn new(seed: u64, p: f32) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            p,
        }
    }

    pub fn apply(&mut self, xs: &Tensor) -> Result<Tensor> {
        if self.p <= 0.0 {
            return Ok(xs.clone());
        }
        let keep = 1.0 / (1.0 - self.p);
        let mask: Vec<f32> = (0..xs.elem_count())
            .map(|_| {
                if self.rng.random::<f32>() < self.p {
                    0.0
                } else {
                    keep
                }
            })
            .collect();
        xs.mul(&Tensor::from_vec(mask, xs.shape(), xs.device())?)
    }
}

/// A layer norm's weight and bias.
#[derive(Clone)]
pub struct Norm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl Norm {
    fn forward(&self, xs: &Tensor, train: bool) -> Result<Tensor> {
        if train {
            candle_nn::ops::layer_norm_slow(xs, &self.weight, &self.bias, self.eps)
        } else {
            candle_nn::ops::layer_norm(&xs.contiguous()?, &self.weight, &self.bias, self.eps)
        }
    }
}

/// Token, position and segment embeddings, normalised.
pub struct Embeddings {
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    norm: Norm,
}

impl Embeddings {
    pub fn forward(&self, input_ids: &Tensor) -> Result<Tensor> {
        let (_, width) = input_ids.dims2()?;
        let words = self.word.embedding(&input_ids.flatten_all()?)?.reshape((
            input_ids.dim(0)?,
            width,
            (),
        ))?;
        // Every input is one segment (type 0), positions from 0.
        let extra = self
            .position
            .narrow(0, 0, width)?
            .broadcast_add(&self.token_type.get(0)?.unsqueeze(0)?)?;
        self.norm.forward(&words.broadcast_add(&extra)?, false)
    }
}

/// One transformer layer: self-attention, then the feed-forward block,
/// each with a residual connection and a layer norm after it.
#[derive(Clone)]
pub struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    intermediate: Linear,
    output: Linear,
    output_norm: Norm,
    heads: usize,
}

/// The names of one layer's tensors, under `encoder.layer.N.`.
pub const LAYER_TENSORS: [&str; 16] = [
    "attention.self.query.weight",
    "attention.self.query.bias",
    "attention.self.key.weight",
    "attention.self.key.bias",
    "attention.self.value.weight",
    "attention.self.value.bias",
    "attention.output.dense.weight",
    "attention.output.dense.bias",
    "attention.output.LayerNorm.weight",
    "attention.output.LayerNorm.bias",
    "intermediate.dense.weight",
    "intermediate.dense.bias",
    "output.dense.weight",
    "output.dense.bias",
    "output.LayerNorm.weight",
    "output.LayerNorm.bias",
];

impl Layer {
    /// Builds a layer from its tensors, named as in `LAYER_TENSORS`.
    pub fn from_tensors(config: &Config, get: &dyn Fn(&str) -> Result<Tensor>) -> Result<Self> {
        let linear = |name: &str| -> Result<Linear> {
            Ok(Linear::new(
                get(&format!("{name}.weight"))?,
                Some(get(&format!("{name}.bias"))?),
            ))
        };
        let norm = |name: &str| -> Result<Norm> {
            Ok(Norm {
                weight: get(&format!("{name}.weight"))?,
                bias: get(&format!("{name}.bias"))?,
                eps: config.layer_norm_eps as f32,
            })
        };
        Ok(Self {
            query: linear("attention.self.query")?,
            key: linear("attention.self.key")?,
            value: linear("attention.self.value")?,
            attention_out: linear("attention.output.dense")?,
            attention_norm: norm("attention.output.LayerNorm")?,
            intermediate: linear("intermediate.dense")?,
            output: linear("output.dense")?,
            output_norm: norm("output.LayerNorm")?,
            heads: config.num_attention_heads,
        })
    }

    /// The layer's tensors by name, as `from_tensors` takes them.
    pub fn tensors(&self) -> Vec<(&'static str, Tensor)> {
        let linear = |l: &Linear| [l.weight().clone(), l.bias().expect("bias").clone()];
        let norm = |n: &Norm| [n.weight.clone(), n.bias.clone()];
        let all = [
            linear(&self.query),
            linear(&self.key),
            linear(&self.value),
            linear(&self.attention_out),
            norm(&self.attention_norm),
            linear(&self.intermediate),
            linear(&self.output),
            norm(&self.output_norm),
        ];
        LAYER_TENSORS
            .into_iter()
            .zip(all.into_iter().flatten())
            .collect()
    }

    /// `hidden` is (rows, width, dim); `bias` is `attention_bias`'s.
    /// With `dropout`, the layer trains: dropout after each block (as BERT
    /// trains) and a differentiable layer norm.
    pub fn forward(
        &self,
        hidden: &Tensor,
        bias: &Tensor,
        mut dropout: Option<&mut Dropout>,
    ) -> Result<Tensor> {
        let train = dropout.is_some();
        let (rows, width, dim) = hidden.dims3()?;
        let head = dim / self.heads;
        let split = |t: Tensor| -> Result<Tensor> {
            t.reshape((rows, width, self.heads, head))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = split(self.query.forward(hidden)?)?;
        let k = split(self.key.forward(hidden)?)?;
        let v = split(self.value.forward(hidden)?)?;
        let scores = (q.matmul(&k.t()?)? / (head as f64).sqrt())?.broadcast_add(bias)?;
        let probs = candle_nn::ops::softmax(&scores, D::Minus1)?;
        let context = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((rows, width, dim))?;
        let mut attended = self.attention_out.forward(&context)?;
        if let Some(d) = dropout.as_deref_mut() {
            attended = d.apply(&attended)?;
        }
        let attended = self.attention_norm.forward(&(attended + hidden)?, train)?;
        let inner = self.intermediate.forward(&attended)?.gelu_erf()?;
        let mut out = self.output.forward(&inner)?;
        if let Some(d) = dropout {
            out = d.apply(&out)?;
        }
        self.output_norm.forward(&(out + attended)?, train)
    }
}

/// The whole encoder: embeddings and every layer.
pub struct Bert {
    pub embeddings: Embeddings,
    pub layers: Vec<Layer>,
    pub config: Config,
}

impl Bert {
    /// Loads BERT's tensors (the names `BertModel` loads) from `vb`.
    pub fn load(vb: &candle_nn::VarBuilder, config: &Config) -> Result<Self> {
        let get = |name: &str| vb.get_unchecked(name);
        let embeddings = Embeddings {
            word: get("embeddings.word_embeddings.weight")?,
            position: get("embeddings.position_embeddings.weight")?,
            token_type: get("embeddings.token_type_embeddings.weight")?,
            norm: Norm {
                weight: get("embeddings.LayerNorm.weight")?,
                bias: get("embeddings.LayerNorm.bias")?,
                eps: config.layer_norm_eps as f32,
            },
        };
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::from_tensors(config, &|n| get(&format!("encoder.layer.{i}.{n}"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            embeddings,
            layers,
            config: config.clone(),
        })
    }
}

/// Token ids padded with zeros to the longest, and the mask of real tokens.
pub fn batch(ids: &[&[u32]], device: &Device) -> Result<(Tensor, Tensor)> {
    let rows = ids.len();
    let width = ids.iter().map(|t| t.len()).max().unwrap_or(0).max(1);
    let mut flat_ids = vec![0u32; rows * width];
    let mut flat_mask = vec![0u32; rows * width];
    for (row, tokens) in ids.iter().enumerate() {
        flat_ids[row * width..row * width + tokens.len()].copy_from_slice(tokens);
        flat_mask[row * width..row * width + tokens.len()].fill(1);
    }
    Ok((
        Tensor::from_vec(flat_ids, (rows, width), device)?,
        Tensor::from_vec(flat_mask, (rows, width), device)?,
    ))
}

/// The additive attention mask: 0 on real tokens, the lowest f32 on padding
/// (as `BertModel` builds it), shaped (rows, 1, 1, width).
pub fn attention_bias(mask: &Tensor) -> Result<Tensor> {
    let mask = mask.to_dtype(DType::F32)?.unsqueeze(1)?.unsqueeze(1)?;
    (mask.ones_like()? - mask)?.affine(f32::MIN as f64, 0.0)
}

/// Mean over the real tokens: (rows, width, dim) to (rows, dim).
pub fn mean_pool(hidden: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
    // At least [CLS] and [SEP] are real tokens, so no count is zero.
    hidden
        .broadcast_mul(&mask)?
        .sum(1)?
        .broadcast_div(&mask.sum(1)?)
}

/// Each row to unit length.
pub fn normalise(rows: &Tensor) -> Result<Tensor> {
    let norms = rows.sqr()?.sum_keepdim(1)?.sqrt()?.maximum(1e-12f32)?;
    rows.broadcast_div(&norms)
}
