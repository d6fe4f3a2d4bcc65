//! Embeddings as the index keeps them: unit-normalised, quantised to `i8`
//! and stored as base64, with the cosine that semantic relevance is read
//! from. Vectors are optional (`HEARTH_EMBED_MODEL`); without them ranking
//! is lexical.

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An embedding, unit-normalised and quantised to `i8` (cosine survives
/// the quantisation to about 1%; a 384-d vector costs 384 bytes). Stored
/// as base64.
#[derive(Debug, Clone, PartialEq)]
pub struct Vector(pub(super) Vec<i8>);

impl Vector {
    /// `None` for an empty or all-zero vector.
    pub fn from_f32(v: &[f32]) -> Option<Vector> {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return None;
        }
        Some(Vector(
            v.iter()
                .map(|x| (x / norm * 127.0).round().clamp(-127.0, 127.0) as i8)
                .collect(),
        ))
    }

    pub fn dim(&self) -> usize {
        self.0.len()
    }

    pub(super) fn values(&self) -> &[i8] {
        &self.0
    }

    /// The length of the quantised vector (about 127).
    pub(super) fn norm(&self) -> f32 {
        (dot(&self.0, &self.0) as f32).sqrt()
    }

    /// Cosine similarity; 0 when the dimensions differ.
    pub fn cosine(&self, other: &Vector) -> f32 {
        if self.0.len() != other.0.len() {
            return 0.0;
        }
        let (mut dot, mut na, mut nb) = (0i32, 0i32, 0i32);
        for (a, b) in self.0.iter().zip(&other.0) {
            let (a, b) = (*a as i32, *b as i32);
            dot += a * b;
            na += a * a;
            nb += b * b;
        }
        if na == 0 || nb == 0 {
            return 0.0;
        }
        dot as f32 / ((na as f32).sqrt() * (nb as f32).sqrt())
    }
}

/// The dot product of two quantised vectors, written so the compiler
/// vectorises it (widening multiply-adds).
pub(super) fn dot(a: &[i8], b: &[i8]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| i32::from(*x as i16 * *y as i16))
        .sum()
}

impl Serialize for Vector {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = self.0.iter().map(|x| *x as u8).collect();
        s.serialize_str(&base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes))
    }
}

impl<'de> Deserialize<'de> for Vector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(s)
            .map_err(serde::de::Error::custom)?;
        Ok(Vector(bytes.into_iter().map(|b| b as i8).collect()))
    }
}

/// A vector and the text it was computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    pub text: String,
    pub vector: Vector,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_round_trip() {
        let v = Vector::from_f32(&[0.6, 0.8, 0.0]).unwrap();
        let json = serde_json::to_string(&v).unwrap();
        let back: Vector = serde_json::from_str(&json).unwrap();
        assert!((back.cosine(&v) - 1.0).abs() < 0.01);
        assert!(Vector::from_f32(&[0.0, 0.0]).is_none());
    }
}
