//! Cues in this language: see the next commit.

use super::Rule;

pub const RULES: &[Rule] = &[];
