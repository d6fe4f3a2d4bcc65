//! The daily check-in's request: one warm line for a notification, from the
//! last 24 hours of conversation and what Hearth remembers, and the
//! stricter retry asked when the first line was too long.

use super::{DATA_RULE, data_block, quoted};
use crate::domain::completion::{CompletionRequest, Turn};
use crate::domain::message::Role;

pub const CHECKIN_MAX_TOKENS: u32 = 50;
pub const CHECKIN_TEMPERATURE: f32 = 0.7;

const CHECKIN_SYSTEM: &str = "You write Hearth's short daily check-in: one warm, personal line that a person sees as a phone notification. \
Under 100 characters, one or two short sentences, no quotes, no emoji, no greeting by name unless you know it. \
Refer to one concrete thing from what you know (an upcoming event they mentioned, or something that helped them) and invite them to share how today went. \
Never give advice or diagnose. Output only the line.";

const STRICTER: &str =
    "Your last line was too long. Write it again in under 80 characters: one short sentence.";

/// The check-in request: the last 24 hours of conversation and what Hearth
/// remembers that makes it personal.
pub fn request(
    recent: &[(Role, String)],
    known: Option<&str>,
    stricter: bool,
) -> CompletionRequest {
    let mut system = format!("{CHECKIN_SYSTEM}\n\n{DATA_RULE}");
    if let Some(k) = known {
        system.push_str("\n\n");
        system.push_str(k);
    }
    let mut convo = String::from("Their conversation with you in the last 24 hours:\n");
    let lines: String = recent
        .iter()
        .map(|(role, text)| {
            let who = if *role == Role::User { "Them" } else { "You" };
            format!(
                "{who}: {}\n",
                quoted(&text.chars().take(600).collect::<String>())
            )
        })
        .collect();
    convo.push_str(&data_block(&lines));
    convo.push_str("\nWrite today's check-in line.");
    if stricter {
        convo.push_str("\n\n");
        convo.push_str(STRICTER);
    }
    CompletionRequest {
        system,
        turns: vec![Turn {
            role: Role::User,
            content: convo,
        }],
        max_tokens: CHECKIN_MAX_TOKENS,
        temperature: CHECKIN_TEMPERATURE,
        json_schema: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::prompts::known_context;

    fn recent() -> Vec<(Role, String)> {
        vec![
            (
                Role::User,
                "My interview at the library is on Thursday.".into(),
            ),
            (
                Role::Assistant,
                "That sounds exciting. How are you feeling about it?".into(),
            ),
            (Role::User, "Nervous, but a walk helped.".into()),
        ]
    }

    #[test]
    fn the_request_snapshot() {
        let known = known_context(
            &[("progress".into(), "Walks help her settle.".into())],
            &[],
            &[],
        );
        insta::assert_json_snapshot!(request(&recent(), known.as_deref(), false));
    }

    #[test]
    fn the_stricter_request_snapshot() {
        insta::assert_json_snapshot!(request(&recent(), None, true));
    }
}
