//! The router's reading of a message's sentence encoding: a multinomial
//! logistic regression over the encoder's unit vector (all-MiniLM-L6-v2,
//! 384 numbers) that scores `support`, `reasoning` and `pattern`. Crisis is
//! not among its classes: the crisis screen decides that, first, and the
//! encoding never overrides it.
//!
//! The weights are data (`route_model.json` beside this file, about 20 KB),
//! trained offline from the train split of `data/routing/labelled.jsonl`
//! and `data/routing/extra.jsonl` by
//! `cargo test -p hearth --test route_model -- --ignored regenerate`. The file
//! keeps the sha256 of the examples it was trained on, and
//! `shared/tests/route_model.rs` fails when that no longer matches the data.
//! Training is here too, pure and deterministic (zero start, full batch, a
//! fixed number of steps), so the same examples give the same weights.

use crate::domain::route::Route;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// The classifier's classes, in the order of its rows of weights.
pub const CLASSES: [Route; 3] = [Route::Support, Route::Reasoning, Route::Pattern];

/// The committed weights, as text (for the staleness test).
pub const SOURCE: &str = include_str!("route_model.json");

/// The committed classifier.
pub static MODEL: LazyLock<RouteModel> = LazyLock::new(|| {
    let model: RouteModel =
        serde_json::from_str(SOURCE).expect("triage/route_model.json is a valid route model");
    model
        .check()
        .expect("triage/route_model.json is consistent");
    model
});

/// A linear classifier over the encoding and what it was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteModel {
    /// The encoder whose vectors it reads.
    pub encoder: String,
    /// The vectors' length.
    pub dim: usize,
    pub classes: Vec<Route>,
    /// One row of `dim` weights per class.
    pub weights: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
    pub training: Training,
}

/// How the weights were made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// sha256 (hex) of the training examples, one `route\ttext\n` line each
    /// in training order; see `examples_digest_input`.
    pub sha256: String,
    pub examples: usize,
    pub params: Params,
    /// The command that regenerates the file.
    pub command: String,
}

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// L2 penalty on the weights (not the bias), per example.
    pub l2: f32,
    /// Full-batch gradient steps.
    pub steps: usize,
    pub learning_rate: f32,
    pub momentum: f32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            l2: 1e-3,
            steps: 300,
            learning_rate: 4.0,
            momentum: 0.9,
        }
    }
}

/// The classifier's probabilities for one message (they sum to 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RouteScores {
    pub support: f32,
    pub reasoning: f32,
    pub pattern: f32,
}

impl RouteScores {
    pub fn of(&self, route: Route) -> f32 {
        match route {
            Route::Support => self.support,
            Route::Reasoning => self.reasoning,
            Route::Pattern => self.pattern,
            Route::Crisis => 0.0,
        }
    }

    /// The most likely route and its probability (ties go to `support`).
    pub fn best(&self) -> (Route, f32) {
        CLASSES
            .iter()
            .map(|r| (*r, self.of(*r)))
            .fold((Route::Support, f32::MIN), |best, c| {
                if c.1 > best.1 { c } else { best }
            })
    }
}

/// What the file must hold to be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    #[error("classes must be support, reasoning, pattern")]
    Classes,
    #[error("expected {expected} weights, found {found}")]
    Shape { expected: usize, found: usize },
    #[error("a weight is not finite")]
    NotFinite,
}

impl RouteModel {
    fn check(&self) -> Result<(), ModelError> {
        if self.classes != CLASSES {
            return Err(ModelError::Classes);
        }
        if self.weights.len() != CLASSES.len() || self.bias.len() != CLASSES.len() {
            return Err(ModelError::Shape {
                expected: CLASSES.len(),
                found: self.weights.len().min(self.bias.len()),
            });
        }
        for row in &self.weights {
            if row.len() != self.dim {
                return Err(ModelError::Shape {
                    expected: self.dim,
                    found: row.len(),
                });
            }
        }
        let finite = self
            .weights
            .iter()
            .flatten()
            .chain(&self.bias)
            .all(|w| w.is_finite());
        if finite {
            Ok(())
        } else {
            Err(ModelError::NotFinite)
        }
    }

    /// The probabilities for one vector, or `None` when it is not this
    /// model's length or not finite (the caller then routes without it).
    pub fn scores(&self, vector: &[f32]) -> Option<RouteScores> {
        if vector.len() != self.dim || !vector.iter().all(|x| x.is_finite()) {
            return None;
        }
        let logits: Vec<f32> = self
            .weights
            .iter()
            .zip(&self.bias)
            .map(|(row, b)| dot(row, vector) + b)
            .collect();
        let p = softmax(&logits);
        Some(RouteScores {
            support: p[0],
            reasoning: p[1],
            pattern: p[2],
        })
    }

    /// Trains on `(vector, route)` examples (crisis examples are skipped:
    /// crisis is not a class). Each class weighs the same in the loss
    /// whatever its count. Deterministic: the same examples in the same
    /// order give the same weights. `training` is filled in by the caller.
    pub fn train(encoder: &str, examples: &[(&[f32], Route)], params: Params) -> RouteModel {
        let examples: Vec<(&[f32], usize)> = examples
            .iter()
            .filter_map(|(v, r)| CLASSES.iter().position(|c| c == r).map(|i| (*v, i)))
            .collect();
        let dim = examples.first().map_or(0, |(v, _)| v.len());
        assert!(
            examples.iter().all(|(v, _)| v.len() == dim),
            "every training vector has the same length"
        );
        let k = CLASSES.len();
        let mut counts = vec![0usize; k];
        for (_, c) in &examples {
            counts[*c] += 1;
        }
        let n = examples.len().max(1) as f32;
        // Balanced: each class carries a third of the loss.
        let class_weight: Vec<f32> = counts
            .iter()
            .map(|c| {
                if *c == 0 {
                    0.0
                } else {
                    n / (k as f32 * *c as f32)
                }
            })
            .collect();

        let mut w = vec![vec![0.0f32; dim]; k];
        let mut b = vec![0.0f32; k];
        let mut vw = vec![vec![0.0f32; dim]; k];
        let mut vb = vec![0.0f32; k];
        for _ in 0..params.steps {
            // Nesterov: the gradient is taken at the look-ahead point.
            let look_w: Vec<Vec<f32>> = w
                .iter()
                .zip(&vw)
                .map(|(row, v)| {
                    row.iter()
                        .zip(v)
                        .map(|(x, m)| x + params.momentum * m)
                        .collect()
                })
                .collect();
            let look_b: Vec<f32> = b
                .iter()
                .zip(&vb)
                .map(|(x, m)| x + params.momentum * m)
                .collect();
            let mut gw = vec![vec![0.0f32; dim]; k];
            let mut gb = vec![0.0f32; k];
            for (x, c) in &examples {
                let logits: Vec<f32> = look_w
                    .iter()
                    .zip(&look_b)
                    .map(|(row, bias)| dot(row, x) + bias)
                    .collect();
                let p = softmax(&logits);
                let cw = class_weight[*c] / n;
                for j in 0..k {
                    let err = cw * (p[j] - f32::from(u8::from(j == *c)));
                    gb[j] += err;
                    for (g, xi) in gw[j].iter_mut().zip(x.iter()) {
                        *g += err * xi;
                    }
                }
            }
            for j in 0..k {
                for (g, wi) in gw[j].iter_mut().zip(&look_w[j]) {
                    *g += params.l2 * wi;
                }
                for ((v, wi), g) in vw[j].iter_mut().zip(w[j].iter_mut()).zip(&gw[j]) {
                    *v = params.momentum * *v - params.learning_rate * g;
                    *wi += *v;
                }
                vb[j] = params.momentum * vb[j] - params.learning_rate * gb[j];
                b[j] += vb[j];
            }
        }
        RouteModel {
            encoder: encoder.to_string(),
            dim,
            classes: CLASSES.to_vec(),
            weights: w,
            bias: b,
            training: Training {
                sha256: String::new(),
                examples: examples.len(),
                params,
                command: String::new(),
            },
        }
    }

    /// The same model with every number rounded to `digits` decimals, as it
    /// is written to the file (keeps it small and its diffs readable).
    pub fn rounded(mut self, digits: i32) -> Self {
        let scale = 10f32.powi(digits);
        let round = |x: &mut f32| *x = (*x * scale).round() / scale;
        self.weights.iter_mut().flatten().for_each(round);
        self.bias.iter_mut().for_each(round);
        self
    }
}

/// The text whose sha256 names a training set: one `route\ttext\n` line per
/// example, in training order (tabs and newlines inside a text become
/// spaces).
pub fn examples_digest_input<'a>(examples: impl IntoIterator<Item = (Route, &'a str)>) -> String {
    let mut out = String::new();
    for (route, text) in examples {
        out.push_str(route.as_str());
        out.push('\t');
        out.extend(
            text.chars()
                .map(|c| if c == '\t' || c == '\n' { ' ' } else { c }),
        );
        out.push('\n');
    }
    out
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::MIN, f32::max);
    let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: [f32; 4]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn the_committed_model_loads_and_reads_vectors_of_its_length() {
        let model = &*MODEL;
        assert_eq!(model.classes, CLASSES);
        assert_eq!(model.dim, 384);
        let mut v = vec![0.0; 384];
        v[0] = 1.0;
        let s = model.scores(&v).expect("a vector of the right length");
        assert!((s.support + s.reasoning + s.pattern - 1.0).abs() < 1e-4);
        assert_eq!(model.scores(&v[..383]), None, "wrong length");
        v[1] = f32::NAN;
        assert_eq!(model.scores(&v), None, "not finite");
    }

    #[test]
    fn training_separates_separable_classes_deterministically() {
        let data = [
            (unit([1.0, 0.1, 0.0, 0.2]), Route::Support),
            (unit([0.9, 0.0, 0.2, 0.1]), Route::Support),
            (unit([0.1, 1.0, 0.0, 0.1]), Route::Reasoning),
            (unit([0.0, 0.8, 0.1, 0.3]), Route::Reasoning),
            (unit([0.0, 0.2, 1.0, 0.0]), Route::Pattern),
            (unit([0.2, 0.0, 0.9, 0.2]), Route::Pattern),
            (unit([0.5, 0.5, 0.5, 0.5]), Route::Crisis),
        ];
        let examples: Vec<(&[f32], Route)> = data.iter().map(|(v, r)| (v.as_slice(), *r)).collect();
        let model = RouteModel::train("toy", &examples, Params::default());
        assert_eq!(model.training.examples, 6, "crisis is not a class");
        assert_eq!(model.check(), Ok(()));
        for (v, r) in data.iter().filter(|(_, r)| *r != Route::Crisis) {
            assert_eq!(model.scores(v).unwrap().best().0, *r);
        }
        let again = RouteModel::train("toy", &examples, Params::default());
        assert_eq!(model, again);
        let probe = unit([0.05, 0.1, 1.0, 0.05]);
        assert_eq!(model.scores(&probe).unwrap().best().0, Route::Pattern);
    }

    #[test]
    fn the_digest_input_is_one_line_per_example() {
        let s = examples_digest_input([(Route::Support, "a\tb"), (Route::Pattern, "c\nd")]);
        assert_eq!(s, "support\ta b\npattern\tc d\n");
    }

    #[test]
    fn best_prefers_support_on_a_tie() {
        let s = RouteScores {
            support: 0.4,
            reasoning: 0.4,
            pattern: 0.2,
        };
        assert_eq!(s.best(), (Route::Support, 0.4));
    }
}
