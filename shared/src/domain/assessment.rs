//! What the learned layer read in one of the person's messages, kept with
//! the message: the sentence encoder's vector, the classifier's class
//! probabilities and the model that gave them. One encoding per message
//! serves the screen, the conversation layer (which reads the stored
//! scores of earlier turns instead of encoding them again) and retrieval.
//!
//! Vectors are kept compact: `f32` little-endian bytes, as base64 in JSON
//! (a 384-long vector is 1,536 bytes, 2,048 characters), and as a binary
//! attribute on DynamoDB. Scores and vectors from two models are never
//! compared: the model name says which one gave them.

use super::safety::learned::RiskScores;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One message's assessment, as stored with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAssessment {
    /// The risk model's name (`RiskModel::model`).
    pub model: String,
    pub risk: RiskScores,
    /// The encoder's unit-length vector, as base64 of `f32` LE bytes.
    #[serde(serialize_with = "vector_out", deserialize_with = "vector_in")]
    pub vector: Vec<f32>,
}

/// A vector as `f32` little-endian bytes.
pub fn vector_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A vector from `f32` little-endian bytes; `None` if the length is not a
/// multiple of four.
pub fn vector_from_bytes(bytes: &[u8]) -> Option<Vec<f32>> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

fn vector_out<S: Serializer>(vector: &[f32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(vector_bytes(vector)))
}

fn vector_in<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
    let text = String::deserialize(d)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(serde::de::Error::custom)?;
    vector_from_bytes(&bytes)
        .ok_or_else(|| serde::de::Error::custom("a vector's bytes come in fours"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assessment_round_trips_bit_for_bit_as_base64_of_le_bytes() {
        let a = StoredAssessment {
            model: "minilm+risk-v1".into(),
            risk: RiskScores::from_probabilities([0.7, 0.2, 0.05, 0.03, 0.02]),
            vector: vec![0.6, -0.8, 1.0e-7, f32::MIN_POSITIVE],
        };
        let json = serde_json::to_value(&a).unwrap();
        let encoded = json["vector"].as_str().expect("a string");
        assert_eq!(encoded.len(), 24, "16 bytes as base64");
        let back: StoredAssessment = serde_json::from_value(json).unwrap();
        assert_eq!(back, a);
        assert_eq!(vector_from_bytes(&vector_bytes(&a.vector)), Some(a.vector));
        assert_eq!(vector_from_bytes(&[1, 2, 3]), None);
    }
}
