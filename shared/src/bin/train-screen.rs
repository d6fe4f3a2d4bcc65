//! Trains the crisis screen's learned layer: all-MiniLM-L6-v2's top
//! layers fine-tuned, with a linear head on their mean-pooled output, as a
//! five-class classifier (no crisis, suicidal, self-harm, harm to others,
//! danger now), on `data/safety/train.jsonl` and the training-only
//! `data/safety/train_extra.jsonl` (licensed and team-written rows added
//! after the split was frozen; see `data/safety/SOURCES.md`).
//!
//! - A stratified slice of train.jsonl (by kind and language) is held out
//!   as validation; it chooses the epoch and the thresholds. It is drawn
//!   from train.jsonl's rows only, exactly as before train_extra.jsonl
//!   existed; every train_extra.jsonl row trains.
//! - The metadata's `train_sha256` is the sha256 of train.jsonl's bytes
//!   followed by train_extra.jsonl's.
//! - The frozen lower layers run once over every text and are cached, so
//!   an epoch costs only the top layers, forward and back.
//! - AdamW, class weights (inverse frequency), label smoothing
//!   (`SMOOTHING`), dropout from a seeded generator: the same seed gives
//!   the same run.
//! - The best epoch is kept (by crisis recall at <= 5% false alarms on
//!   validation, then AUC), written in f16 to `data/safety/classifier/`,
//!   reloaded through the adapter, and the thresholds chosen on what the
//!   adapter then computes: the turn threshold on one message's crisis
//!   probability, the conversation threshold on the noisy-or of three
//!   turns' (`conversation::combined_crisis`), each the one with the best
//!   recall at <= 5% false alarms on validation.
//!
//! Run: `cargo run -p hearth --bin train-screen` (the dev profile optimises
//! candle, so a release build is not needed). Options: `--layers K` (top
//! layers fine-tuned, 2), `--epochs N` (most epochs, 6), `--seed S` (14),
//! `--out DIR`; `HEARTH_ENCODER_DIR` says where the encoder's files are
//! (`scripts/setup-encoder`; `.models/all-minilm-l6-v2` by default).

use candle_core::{D, DType, Device, Module, Tensor, Var};
use candle_nn::{AdamW, Linear, Optimizer, ParamsAdamW, VarBuilder};
use hearth::adapters::bert::{self, Bert, Dropout, Layer};
use hearth::adapters::minilm::{self, Files};
use hearth::adapters::risk_model::{METADATA, Metadata, RiskClassifier, WEIGHTS};
use hearth::domain::safety::conversation::combined_crisis;
use hearth::domain::safety::learned::{CLASSES, Thresholds};
use hearth::domain::safety::prepare;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;
/// The best epoch so far: its number, its fit and its weights.
type Best = (usize, Fit, Vec<(String, Tensor)>);

/// The share of each (kind, language) group held out for validation.
const VALIDATION: f64 = 0.2;
/// The most false alarms on validation's look-alikes a threshold may give.
const MAX_FALSE_ALARMS: f64 = 0.05;
/// Turns the conversation threshold is calibrated on: the conversation
/// layer's window.
const CONVERSATION_TURNS: usize = hearth::domain::safety::conversation::WINDOW_TURNS;
const BATCH: usize = 16;
const LAYER_LR: f64 = 1e-4;
const HEAD_LR: f64 = 2e-3;
const DROPOUT: f32 = 0.1;
/// Label smoothing: this share of each row's target is spread evenly
/// over the classes.
const SMOOTHING: f32 = 0.1;
/// The training files, in the order their bytes enter `train_sha256`: the
/// frozen split's training part, then the training-only extra rows.
const TRAINING_FILES: [&str; 2] = ["data/safety/train.jsonl", "data/safety/train_extra.jsonl"];

#[derive(Deserialize)]
struct Row {
    text: String,
    kind: String,
    lang: String,
}

/// A training kind's class, in the order of `CLASSES`.
fn class(kind: &str) -> usize {
    match kind {
        "ideation" | "plan" | "intent" => 1,
        "self_harm" => 2,
        "harm_others" => 3,
        "abuse_now" => 4,
        k if k.starts_with("negative_") => 0,
        k => panic!("train.jsonl has an unknown kind {k:?}"),
    }
}

struct Options {
    layers: usize,
    epochs: usize,
    seed: u64,
    out: PathBuf,
    encoder: PathBuf,
}

fn options(repo: &Path) -> Options {
    let mut o = Options {
        layers: 2,
        epochs: 6,
        seed: 14,
        out: repo.join("data/safety/classifier"),
        encoder: std::env::var_os("HEARTH_ENCODER_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo.join(".models/all-minilm-l6-v2")),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--layers" => o.layers = value.parse().expect("--layers K"),
            "--epochs" => o.epochs = value.parse().expect("--epochs N"),
            "--seed" => o.seed = value.parse().expect("--seed S"),
            "--out" => o.out = PathBuf::from(value),
            f => panic!("unknown option {f} (--layers, --epochs, --seed, --out)"),
        }
    }
    o
}

fn main() -> Result<()> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let o = options(&repo);
    let mut hasher = Sha256::new();
    let mut rows: Vec<Row> = Vec::new();
    // Rows of train.jsonl come first: `0..split_rows`.
    let mut split_rows = 0;
    for (n, file) in TRAINING_FILES.iter().enumerate() {
        let bytes = std::fs::read(repo.join(file))?;
        hasher.update(&bytes);
        let parsed: Vec<Row> = std::str::from_utf8(&bytes)?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<std::result::Result<_, _>>()?;
        println!("{file}: {} rows", parsed.len());
        rows.extend(parsed);
        if n == 0 {
            split_rows = rows.len();
        }
    }
    let sha = hex(&hasher.finalize());
    let labels: Vec<usize> = rows.iter().map(|r| class(&r.kind)).collect();

    // Stratified validation slice of train.jsonl's rows: each (kind,
    // language) group shuffled with the seed, its first fifth held out.
    // The extra rows all train.
    let mut rng = StdRng::seed_from_u64(o.seed);
    let mut groups: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (i, r) in rows[..split_rows].iter().enumerate() {
        groups
            .entry((r.kind.as_str(), r.lang.as_str()))
            .or_default()
            .push(i);
    }
    let (mut train, mut val) = (Vec::new(), Vec::new());
    for members in groups.values_mut() {
        members.shuffle(&mut rng);
        let n = (members.len() as f64 * VALIDATION).round() as usize;
        val.extend_from_slice(&members[..n]);
        train.extend_from_slice(&members[n..]);
    }
    val.sort();
    train.extend(split_rows..rows.len());
    println!(
        "{} rows (sha256 {sha}); {} train, {} validation (from train.jsonl)",
        rows.len(),
        train.len(),
        val.len()
    );

    let Files {
        config,
        tokenizer,
        weights,
    } = Files::load(&o.encoder)?;
    let device = Device::Cpu;
    // SAFETY: the file is only read while the tensors are copied out.
    let vb = unsafe {
        VarBuilder::from_mmaped_safetensors(std::slice::from_ref(&weights), DType::F32, &device)?
    };
    let base = Bert::load(&vb, &config)?;
    drop(vb);
    let total = config.num_hidden_layers;
    assert!(
        (1..total).contains(&o.layers),
        "--layers must be 1..{total}"
    );
    let split = total - o.layers;

    // The frozen lower layers' output for every text, once.
    let start = Instant::now();
    let tokens: Vec<Vec<u32>> = rows
        .iter()
        .map(|r| {
            tokenizer
                .encode(prepare(&r.text), true)
                .map(|e| e.get_ids().to_vec())
                .map_err(|e| e.to_string())
        })
        .collect::<std::result::Result<_, _>>()?;
    let mut cache: Vec<Option<Tensor>> = vec![None; rows.len()];
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| tokens[i].len());
    for chunk in order.chunks(32) {
        let ids: Vec<&[u32]> = chunk.iter().map(|&i| tokens[i].as_slice()).collect();
        let (input_ids, mask) = bert::batch(&ids, &device)?;
        let bias = bert::attention_bias(&mask)?;
        let mut hidden = base.embeddings.forward(&input_ids)?;
        for layer in &base.layers[..split] {
            hidden = layer.forward(&hidden, &bias, None)?;
        }
        for (n, &i) in chunk.iter().enumerate() {
            cache[i] = Some(hidden.get(n)?.narrow(0, 0, tokens[i].len())?.copy()?);
        }
    }
    let cache: Vec<Tensor> = cache.into_iter().map(|t| t.expect("cached")).collect();
    println!(
        "cached layers 0..{split} for {} texts in {:.1} s; fine-tuning layers {split}..{total}",
        rows.len(),
        start.elapsed().as_secs_f64()
    );

    // Trainable copies of the top layers, and the head.
    let mut layer_vars: Vec<Vec<(&'static str, Var)>> = Vec::new();
    for layer in &base.layers[split..] {
        layer_vars.push(
            layer
                .tensors()
                .into_iter()
                .map(|(name, t)| Ok((name, Var::from_tensor(&t.copy()?)?)))
                .collect::<Result<_>>()?,
        );
    }
    let layers: Vec<Layer> = layer_vars
        .iter()
        .map(|vars| {
            let by_name: HashMap<&str, Tensor> = vars
                .iter()
                .map(|(n, v)| (*n, v.as_tensor().clone()))
                .collect();
            Layer::from_tensors(&config, &|n| Ok(by_name[n].clone()))
        })
        .collect::<candle_core::Result<_>>()?;
    let hidden = config.hidden_size;
    let init: Vec<f32> = (0..CLASSES.len() * hidden)
        .map(|_| rng.random_range(-0.02f32..0.02))
        .collect();
    let head_w = Var::from_tensor(&Tensor::from_vec(init, (CLASSES.len(), hidden), &device)?)?;
    let head_b = Var::from_tensor(&Tensor::zeros(CLASSES.len(), DType::F32, &device)?)?;
    let head = Linear::new(head_w.as_tensor().clone(), Some(head_b.as_tensor().clone()));

    let steps_per_epoch = train.len().div_ceil(BATCH);
    let total_steps = steps_per_epoch * o.epochs;
    let adamw = |lr| ParamsAdamW {
        lr,
        weight_decay: 0.01,
        ..ParamsAdamW::default()
    };
    let mut layer_opt = AdamW::new(
        layer_vars
            .iter()
            .flatten()
            .map(|(_, v)| v.clone())
            .collect(),
        adamw(LAYER_LR),
    )?;
    let mut head_opt = AdamW::new(vec![head_w.clone(), head_b.clone()], adamw(HEAD_LR))?;

    // Inverse-frequency class weights over the training part.
    let mut counts = [0usize; 5];
    for &i in &train {
        counts[labels[i]] += 1;
    }
    let weights: Vec<f32> = counts
        .iter()
        .map(|&n| train.len() as f32 / (CLASSES.len() as f32 * n.max(1) as f32))
        .collect();
    println!("class counts {counts:?}, weights {weights:.2?}");

    let mut dropout = Dropout::new(o.seed, DROPOUT);
    let mut best: Option<Best> = None;
    let mut step = 0usize;
    for epoch in 1..=o.epochs {
        let start = Instant::now();
        train.shuffle(&mut rng);
        let mut loss_sum = 0.0;
        for batch_rows in train.chunks(BATCH) {
            // Linear warm-up over the first tenth of the steps, then linear decay.
            let warm = (total_steps / 10).max(1);
            let scale = if step < warm {
                (step + 1) as f64 / warm as f64
            } else {
                (total_steps - step) as f64 / (total_steps - warm).max(1) as f64
            };
            layer_opt.set_learning_rate(LAYER_LR * scale);
            head_opt.set_learning_rate(HEAD_LR * scale);
            step += 1;

            let (states, mask) = padded(batch_rows, &cache, &tokens, &device)?;
            let bias = bert::attention_bias(&mask)?;
            let mut h = states;
            for layer in &layers {
                h = layer.forward(&h, &bias, Some(&mut dropout))?;
            }
            let pooled = dropout.apply(&bert::mean_pool(&h, &mask)?)?;
            let log_p = candle_nn::ops::log_softmax(&head.forward(&pooled)?, D::Minus1)?;
            let mut target = vec![0f32; batch_rows.len() * CLASSES.len()];
            let mut weight_sum = 0.0;
            let spread = SMOOTHING / CLASSES.len() as f32;
            for (n, &i) in batch_rows.iter().enumerate() {
                let w = weights[labels[i]];
                target[n * CLASSES.len()..(n + 1) * CLASSES.len()].fill(w * spread);
                target[n * CLASSES.len() + labels[i]] += w * (1.0 - SMOOTHING);
                weight_sum += w;
            }
            let target = Tensor::from_vec(target, (batch_rows.len(), CLASSES.len()), &device)?;
            let loss = (log_p.mul(&target)?.sum_all()? / -(weight_sum as f64))?;
            loss_sum += loss.to_scalar::<f32>()? as f64;
            let grads = loss.backward()?;
            layer_opt.step(&grads)?;
            head_opt.step(&grads)?;
        }

        // Validation: crisis probability (1 - p(none)) per held-out row.
        let scores = val_scores(&val, &cache, &tokens, &layers, &head, &device)?;
        let fit = Fit::of(&val, &scores, &labels);
        println!(
            "epoch {epoch}: loss {:.4}, validation AUC {:.3}, recall {:.3} at {:.1}% false alarms (threshold {:.3}) [{:.0} s]",
            loss_sum / steps_per_epoch as f64,
            fit.auc,
            fit.recall,
            100.0 * fit.false_alarms,
            fit.threshold,
            start.elapsed().as_secs_f64()
        );
        let better = best
            .as_ref()
            .is_none_or(|(_, b, _)| (fit.recall, fit.auc) > (b.recall, b.auc));
        if better {
            let mut snapshot = Vec::new();
            for (n, vars) in layer_vars.iter().enumerate() {
                for (name, v) in vars {
                    snapshot.push((
                        format!("encoder.layer.{}.{name}", split + n),
                        v.as_tensor().detach().copy()?,
                    ));
                }
            }
            snapshot.push(("head.weight".into(), head_w.as_tensor().detach().copy()?));
            snapshot.push(("head.bias".into(), head_b.as_tensor().detach().copy()?));
            best = Some((epoch, fit, snapshot));
        }
    }
    let (epochs, _, snapshot) = best.expect("at least one epoch");
    println!("keeping epoch {epochs}");

    // Written in f16, then reloaded through the adapter: the thresholds are
    // chosen on the scores the shipped weights give.
    std::fs::create_dir_all(&o.out)?;
    let tensors: HashMap<String, Tensor> = snapshot
        .into_iter()
        .map(|(n, t)| Ok((n, t.to_dtype(DType::F16)?)))
        .collect::<candle_core::Result<_>>()?;
    candle_core::safetensors::save(&tensors, o.out.join(WEIGHTS))?;
    let mut metadata = Metadata {
        base_model: minilm::MODEL.to_string(),
        fine_tuned_layers: (split..total).collect(),
        classes: CLASSES
            .iter()
            .map(|c| c.map_or("none", |c| c.as_str()).to_string())
            .collect(),
        thresholds: Thresholds {
            turn: 0.5,
            conversation: 0.5,
        },
        conversation_turns: CONVERSATION_TURNS,
        train_sha256: sha,
        seed: o.seed,
        epochs,
        validation: json!(null),
    };
    write_metadata(&o.out, &metadata)?;
    let model = RiskClassifier::load(&o.encoder, &o.out)?;

    let texts: Vec<&str> = val.iter().map(|&i| rows[i].text.as_str()).collect();
    let assessed = model.assess_blocking(&texts)?;
    let scores: Vec<f32> = assessed.iter().map(|a| a.risk.crisis()).collect();
    let turn = Fit::of(&val, &scores, &labels);
    let mut per_language = BTreeMap::new();
    let mut per_kind = BTreeMap::new();
    for (n, &i) in val.iter().enumerate() {
        let flagged = scores[n] >= turn.threshold;
        let key = if labels[i] > 0 {
            &mut per_language
        } else {
            &mut per_kind
        };
        let bucket = if labels[i] > 0 {
            rows[i].lang.clone()
        } else {
            rows[i].kind.clone()
        };
        let e: &mut (usize, usize) = key.entry(bucket).or_default();
        e.0 += usize::from(flagged);
        e.1 += 1;
    }
    println!(
        "turn (f16 weights, through the adapter): AUC {:.3}, recall {:.3} at {:.1}% false alarms, threshold {:.4}",
        turn.auc,
        turn.recall,
        100.0 * turn.false_alarms,
        turn.threshold
    );
    println!(
        "  crisis recall by language: {per_language:?}; look-alikes flagged by kind: {per_kind:?}"
    );

    // Conversation: the noisy-or of the last turns' crisis probabilities
    // (`conversation::combined_crisis`, as the conversation layer reads
    // them). Calibrated on windows of validation rows: look-alikes only,
    // against two look-alikes and one crisis message in any position.
    let negatives: Vec<usize> = (0..val.len()).filter(|&n| labels[val[n]] == 0).collect();
    let crises: Vec<usize> = (0..val.len()).filter(|&n| labels[val[n]] > 0).collect();
    let mut conv_rng = StdRng::seed_from_u64(o.seed ^ 0xC0);
    let windows: Vec<(bool, Vec<usize>)> = (0..4 * val.len())
        .map(|n| {
            let mut turns: Vec<usize> = (0..CONVERSATION_TURNS)
                .map(|_| negatives[conv_rng.random_range(0..negatives.len())])
                .collect();
            let crisis = n % 2 == 1;
            if crisis {
                let at = conv_rng.random_range(0..CONVERSATION_TURNS);
                turns[at] = crises[conv_rng.random_range(0..crises.len())];
            }
            (crisis, turns)
        })
        .collect();
    let conv_scores: Vec<f32> = windows
        .iter()
        .map(|(_, turns)| {
            let risks: Vec<_> = turns.iter().map(|&t| assessed[t].risk).collect();
            combined_crisis(&risks)
        })
        .collect();
    let conv_labels: Vec<usize> = windows.iter().map(|(c, _)| usize::from(*c)).collect();
    let conv_index: Vec<usize> = (0..windows.len()).collect();
    let conversation = Fit::of(&conv_index, &conv_scores, &conv_labels);
    // What the conversation adds: crisis windows no turn of which passes
    // the turn threshold alone.
    let (mut quiet, mut quiet_caught) = (0usize, 0usize);
    for ((crisis, turns), &score) in windows.iter().zip(&conv_scores) {
        if *crisis && turns.iter().all(|&t| scores[t] < turn.threshold) {
            quiet += 1;
            quiet_caught += usize::from(score >= conversation.threshold);
        }
    }
    println!(
        "conversation ({CONVERSATION_TURNS} turns, noisy-or): AUC {:.3}, recall {:.3} at {:.1}% false alarms, threshold {:.4}; {quiet_caught} of {quiet} crisis windows with no turn flagged alone caught",
        conversation.auc,
        conversation.recall,
        100.0 * conversation.false_alarms,
        conversation.threshold
    );

    metadata.thresholds = Thresholds {
        turn: turn.threshold,
        conversation: conversation.threshold,
    };
    metadata.validation = json!({
        "rows": val.len(),
        "share_of_train": VALIDATION,
        "max_false_alarms": MAX_FALSE_ALARMS,
        "turn": {
            "auc": round(turn.auc),
            "crisis_recall": round(turn.recall),
            "false_alarms": round(turn.false_alarms),
            "crisis_recall_by_language": per_language,
            "lookalikes_flagged_by_kind": per_kind,
        },
        "conversation": {
            "windows": windows.len(),
            "score": "combined_crisis: 1 - prod(1 - crisis probability) over the window's turns",
            "made_of": "three validation rows: look-alikes only, or two look-alikes and one crisis row",
            "crisis_windows_with_no_turn_flagged_alone": quiet,
            "of_which_caught": quiet_caught,
            "auc": round(conversation.auc),
            "crisis_recall": round(conversation.recall),
            "false_alarms": round(conversation.false_alarms),
        },
        "layers_fine_tuned": o.layers,
        "batch": BATCH,
        "learning_rates": {"layers": LAYER_LR, "head": HEAD_LR},
        "dropout": DROPOUT,
        "label_smoothing": SMOOTHING,
        "training_files": TRAINING_FILES,
        "training_rows": train.len(),
        "most_epochs": o.epochs,
    });
    write_metadata(&o.out, &metadata)?;
    println!(
        "wrote {} and {}",
        o.out.join(WEIGHTS).display(),
        o.out.join(METADATA).display()
    );
    Ok(())
}

/// Cached lower-layer states of `rows`, zero-padded to the longest, and
/// the mask of real tokens.
fn padded(
    rows: &[usize],
    cache: &[Tensor],
    tokens: &[Vec<u32>],
    device: &Device,
) -> candle_core::Result<(Tensor, Tensor)> {
    let width = rows.iter().map(|&i| tokens[i].len()).max().unwrap_or(1);
    let states = rows
        .iter()
        .map(|&i| cache[i].pad_with_zeros(0, 0, width - tokens[i].len()))
        .collect::<candle_core::Result<Vec<_>>>()?;
    let mut mask = vec![0u32; rows.len() * width];
    for (n, &i) in rows.iter().enumerate() {
        mask[n * width..n * width + tokens[i].len()].fill(1);
    }
    Ok((
        Tensor::stack(&states, 0)?,
        Tensor::from_vec(mask, (rows.len(), width), device)?,
    ))
}

fn val_scores(
    val: &[usize],
    cache: &[Tensor],
    tokens: &[Vec<u32>],
    layers: &[Layer],
    head: &Linear,
    device: &Device,
) -> candle_core::Result<Vec<f32>> {
    let mut scores = Vec::with_capacity(val.len());
    for chunk in val.chunks(32) {
        let (states, mask) = padded(chunk, cache, tokens, device)?;
        let bias = bert::attention_bias(&mask)?;
        let mut h = states;
        for layer in layers {
            h = layer.forward(&h, &bias, None)?;
        }
        let p = candle_nn::ops::softmax(&head.forward(&bert::mean_pool(&h, &mask)?)?, D::Minus1)?;
        scores.extend(p.to_vec2::<f32>()?.into_iter().map(|p| 1.0 - p[0]));
    }
    Ok(scores)
}

/// A crisis score's fit on labelled rows: AUC, and the threshold with the
/// best recall whose false alarms stay within `MAX_FALSE_ALARMS`.
struct Fit {
    auc: f64,
    threshold: f32,
    recall: f64,
    false_alarms: f64,
}

impl Fit {
    /// `scores[n]` is the score of row `rows[n]`, whose class is `labels[rows[n]]`.
    fn of(rows: &[usize], scores: &[f32], labels: &[usize]) -> Self {
        let mut neg: Vec<f32> = Vec::new();
        let mut pos: Vec<f32> = Vec::new();
        for (n, &i) in rows.iter().enumerate() {
            if labels[i] == 0 {
                neg.push(scores[n]);
            } else {
                pos.push(scores[n]);
            }
        }
        let pairs: f64 = pos
            .iter()
            .map(|&p| {
                neg.iter()
                    .map(|&q| match p.partial_cmp(&q) {
                        Some(std::cmp::Ordering::Greater) => 1.0,
                        Some(std::cmp::Ordering::Equal) => 0.5,
                        _ => 0.0,
                    })
                    .sum::<f64>()
            })
            .sum();
        let auc = pairs / (pos.len() * neg.len()).max(1) as f64;
        neg.sort_by(|a, b| b.total_cmp(a));
        // The m highest look-alikes may be flagged: the threshold sits
        // halfway between the m-th and the (m+1)-th.
        let m = (MAX_FALSE_ALARMS * neg.len() as f64).floor() as usize;
        let threshold = match (m.checked_sub(1).map(|k| neg[k]), neg.get(m)) {
            (Some(above), Some(&below)) => (above + below) / 2.0,
            (None, Some(&below)) => (below + 1.0) / 2.0,
            _ => 0.5,
        };
        let recall =
            pos.iter().filter(|&&p| p >= threshold).count() as f64 / pos.len().max(1) as f64;
        let false_alarms =
            neg.iter().filter(|&&q| q >= threshold).count() as f64 / neg.len().max(1) as f64;
        Self {
            auc,
            threshold,
            recall,
            false_alarms,
        }
    }
}

fn write_metadata(dir: &Path, metadata: &Metadata) -> Result<()> {
    let mut text = serde_json::to_string_pretty(metadata)?;
    text.push('\n');
    std::fs::write(dir.join(METADATA), text)?;
    Ok(())
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
