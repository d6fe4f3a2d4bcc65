//! Every prompt Hearth sends, in one place. Prompts are data: a change to
//! what a model is told shows up in the snapshot tests below, in review.

use super::completion::CompletionRequest;
use super::completion::Turn;
use super::context::ContextProfile;

/// The chat role's system prompt for everyday support.
pub const COMPANION_SYSTEM: &str = "\
You are Hearth, a warm and steady companion that a person talks to every day. \
Listen closely, reflect back what you hear, and respond with kindness and without judgement. \
Keep replies short and conversational: two to four sentences, plain words, no lists or headings. \
Ask at most one gentle question at a time. \
Do not diagnose, prescribe or claim to be a therapist; when something sounds beyond what a friend can help with, \
encourage the person to reach out to someone they trust or to a professional. \
Never invent memories or facts about the person.";

/// The request for a chat-role support reply.
pub fn support_request(turns: Vec<Turn>, profile: ContextProfile) -> CompletionRequest {
    CompletionRequest {
        system: COMPANION_SYSTEM.to_string(),
        turns,
        max_tokens: profile.max_tokens,
        temperature: profile.temperature,
        json_schema: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::Role;
    use crate::domain::route::Route;

    #[test]
    fn support_request_snapshot() {
        let req = support_request(
            vec![Turn {
                role: Role::User,
                content: "I had a long day.".into(),
            }],
            ContextProfile::for_route(Route::Support),
        );
        insta::assert_json_snapshot!(req);
    }
}
