//! Context assembly: from stored messages to the turns a model sees.
//! Pure code; the chat turn loads the messages and hands them here.

use super::completion::Turn;
use super::message::{Message, Role};
use super::route::Route;

/// How much conversation a route gets. The retrieval issue adds memory and
/// summary budgets here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContextProfile {
    /// Most recent stored messages (of either role) to include.
    pub recent_turns: usize,
    pub max_tokens: u32,
    pub temperature: f32,
}

impl ContextProfile {
    pub fn for_route(route: Route) -> Self {
        match route {
            Route::Support | Route::Crisis => Self {
                recent_turns: 10,
                max_tokens: 150,
                temperature: 0.7,
            },
            Route::Reasoning | Route::Pattern => Self {
                recent_turns: 20,
                max_tokens: 400,
                temperature: 0.5,
            },
        }
    }
}

/// Turn stored messages (oldest first) into a valid model conversation:
/// it starts with the user, and consecutive messages of one role are merged
/// (an earlier turn whose model call failed leaves two user messages in a row,
/// which the Anthropic API would refuse).
pub fn conversation(messages: &[Message]) -> Vec<Turn> {
    let mut turns: Vec<Turn> = Vec::with_capacity(messages.len());
    for m in messages {
        if turns.is_empty() && m.role == Role::Assistant {
            continue;
        }
        match turns.last_mut() {
            Some(last) if last.role == m.role => {
                last.content.push_str("\n\n");
                last.content.push_str(&m.content);
            }
            _ => turns.push(Turn {
                role: m.role,
                content: m.content.clone(),
            }),
        }
    }
    turns
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{MessageId, SessionId};
    use chrono::Utc;

    fn msg(seq: u64, role: Role, content: &str) -> Message {
        Message {
            id: MessageId::generate(),
            session_id: SessionId::parse("s1").unwrap(),
            seq,
            role,
            content: content.into(),
            created_at: Utc::now(),
            external_id: None,
            client_message_id: None,
            reply: None,
            answered_by: None,
        }
    }

    #[test]
    fn conversation_starts_with_user_and_merges_repeated_roles() {
        let turns = conversation(&[
            msg(4, Role::Assistant, "orphaned reply"),
            msg(5, Role::User, "first try"),
            msg(6, Role::User, "second try"),
            msg(7, Role::Assistant, "answer"),
        ]);
        assert_eq!(turns.len(), 2);
        assert_eq!(turns[0].role, Role::User);
        assert_eq!(turns[0].content, "first try\n\nsecond try");
        assert_eq!(turns[1].content, "answer");
    }
}
