//! The journal prompt's request: one gentle, open prompt to reflect on,
//! from the last three days of conversation, the person's recent journal
//! entries and what Hearth remembers, in the original system's 180–230
//! tokens.

use super::{DATA_RULE, data_block, quoted};
use crate::domain::completion::{CompletionRequest, Turn};
use crate::domain::journal::JournalItem;
use crate::domain::message::Role;

/// The prompt's output budget, as in the original system: 180–230 tokens.
pub const PROMPT_MIN_TOKENS: u32 = 180;
pub const PROMPT_MAX_TOKENS: u32 = 230;

const PROMPT_SYSTEM: &str = "You are Hearth, writing a reflective journal prompt for a person you talk with every day. \
From their last three days of conversation, their recent journal entries and what you remember about them, write one gentle, open prompt \
that invites them to reflect on something that matters to them right now: a few sentences of context in your own words, then one or two open questions. \
Write between 180 and 230 tokens. No lists, no headings, no advice, no diagnosis.";

/// The deep role's request for a journal prompt.
pub fn prompt_request(
    recent: &[(Role, String)],
    entries: &[JournalItem],
    known: Option<&str>,
) -> CompletionRequest {
    let mut system = format!("{PROMPT_SYSTEM}\n\n{DATA_RULE}");
    if let Some(k) = known {
        system.push_str("\n\n");
        system.push_str(k);
    }
    let mut text = String::from("Their conversation with you in the last 72 hours:\n");
    let lines: String = recent
        .iter()
        .map(|(role, t)| {
            let who = if *role == Role::User { "Them" } else { "You" };
            format!(
                "{who}: {}\n",
                quoted(&t.chars().take(800).collect::<String>())
            )
        })
        .collect();
    text.push_str(&data_block(&lines));
    if !entries.is_empty() {
        text.push_str("\nTheir recent journal entries:\n");
        let lines: String = entries
            .iter()
            .map(|e| {
                format!(
                    "({}) {}\n",
                    e.created_at.format("%Y-%m-%d"),
                    quoted(&e.text.chars().take(1_500).collect::<String>())
                )
            })
            .collect();
        text.push_str(&data_block(&lines));
    }
    text.push_str(&format!(
        "\nWrite the journal prompt ({PROMPT_MIN_TOKENS}–{PROMPT_MAX_TOKENS} tokens)."
    ));
    CompletionRequest {
        system,
        turns: vec![Turn {
            role: Role::User,
            content: text,
        }],
        max_tokens: PROMPT_MAX_TOKENS,
        temperature: 0.7,
        json_schema: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::journal::JournalKind;
    use crate::domain::prompts::known_context;

    #[test]
    fn the_prompt_request_snapshot() {
        let recent = vec![
            (Role::User, "Work has been a lot this week.".into()),
            (
                Role::Assistant,
                "That sounds tiring. What has been the hardest part?".into(),
            ),
        ];
        let entries = vec![JournalItem {
            id: "0190a5b8-0000-7000-8000-000000000001".into(),
            kind: JournalKind::Entry,
            text: "Baked bread with Maya on Sunday. It felt calm.".into(),
            created_at: "2026-05-03T18:00:00Z".parse().unwrap(),
            flag: None,
        }];
        let known = known_context(
            &[("relationships".into(), "Has a sister named Maya.".into())],
            &[],
            &[],
        );
        insta::assert_json_snapshot!(prompt_request(&recent, &entries, known.as_deref()));
    }
}
