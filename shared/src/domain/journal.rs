//! The journal: entries the person writes, and reflective prompts Hearth
//! writes for them from their recent days (what the model is asked is in
//! `prompts::journal`). Pure code.

use super::crisis_resources::Language;
use super::safety::flag::Flag;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalKind {
    /// Written by the person.
    Entry,
    /// A reflective prompt written by Hearth.
    Prompt,
}

impl JournalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JournalKind::Entry => "journal_entry",
            JournalKind::Prompt => "journal_prompt",
        }
    }
}

/// One journal item. Ids are UUIDv7, so key order is time order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalItem {
    pub id: String,
    pub kind: JournalKind,
    pub text: String,
    pub created_at: DateTime<Utc>,
    /// Set when the crisis screen flagged an entry: its category and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<Flag>,
}

impl JournalItem {
    pub fn new(kind: JournalKind, text: &str, at: DateTime<Utc>) -> JournalItem {
        JournalItem {
            id: uuid::Uuid::now_v7().to_string(),
            kind,
            text: text.trim().to_string(),
            created_at: at,
            flag: None,
        }
    }
}

/// Longest journal entry, in characters.
pub const MAX_ENTRY_CHARS: usize = 10_000;
/// What a journal prompt looks back over.
pub const PROMPT_LOOKBACK: Duration = Duration::hours(72);
/// The prompt written, with no model call, when what a journal prompt
/// reads shows crisis; the resources follow it.
pub const GENTLE_PROMPT: &str = "These last few days sound like they have been really hard. \
There is no need to write anything today unless you want to. If you do, you could write about one small thing, \
or one person, that has helped you get through a difficult moment, even a little. \
You don't have to carry this alone.";

/// `GENTLE_PROMPT` in the language of the person's resources.
pub fn gentle_prompt(language: Language) -> &'static str {
    match language {
        Language::En => GENTLE_PROMPT,
        Language::Es => {
            "Estos últimos días parecen haber sido muy difíciles. \
No hace falta que escribas nada hoy si no quieres. Si te apetece, podrías escribir sobre una cosa pequeña, \
o una persona, que te haya ayudado a atravesar un momento difícil, aunque sea un poco. \
No tienes que cargar con esto a solas."
        }
        Language::Fr => {
            "Ces derniers jours ont l'air d'avoir été vraiment difficiles. \
Tu n'as pas besoin d'écrire quoi que ce soit aujourd'hui, sauf si tu en as envie. Si oui, tu pourrais écrire sur une petite chose, \
ou une personne, qui t'a fait du bien dans un moment difficile, même un peu. \
Tu n'as pas à traverser ça sans soutien."
        }
        Language::De => {
            "Die letzten Tage klingen, als wären sie wirklich schwer gewesen. \
Du musst heute nichts schreiben, wenn du nicht möchtest. Wenn doch, könntest du über eine kleine Sache \
oder einen Menschen schreiben, die dir durch einen schwierigen Moment geholfen haben, auch nur ein bisschen. \
Du musst das nicht allein tragen."
        }
        Language::Pt => {
            "Esses últimos dias parecem ter sido muito difíceis. \
Não precisa escrever nada hoje, a não ser que queira. Se quiser, você pode escrever sobre uma coisa pequena, \
ou uma pessoa, que te ajudou a passar por um momento difícil, mesmo que só um pouco. \
Você não precisa carregar isso sem apoio."
        }
    }
}
pub fn validate_entry(text: &str) -> Result<(), EntryError> {
    let n = text.trim().chars().count();
    if n == 0 {
        return Err(EntryError::Empty);
    }
    if n > MAX_ENTRY_CHARS {
        return Err(EntryError::TooLong);
    }
    if super::text::has_control_character(text) {
        return Err(EntryError::ControlCharacter);
    }
    Ok(())
}

/// Why a journal entry's text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("text is required")]
    Empty,
    #[error("text must be at most {MAX_ENTRY_CHARS} characters")]
    TooLong,
    #[error("text must not contain control characters other than newline and tab")]
    ControlCharacter,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gentle_prompt_speaks_each_language() {
        use Language::*;
        assert_eq!(gentle_prompt(En), GENTLE_PROMPT);
        let prompts: std::collections::HashSet<&str> = [En, Es, Fr, De, Pt]
            .into_iter()
            .map(gentle_prompt)
            .collect();
        assert_eq!(prompts.len(), 5);
        assert!(gentle_prompt(Es).contains("escribir") && gentle_prompt(Fr).contains("écrire"));
        assert!(gentle_prompt(De).contains("schreiben") && gentle_prompt(Pt).contains("escrever"));
    }
}
