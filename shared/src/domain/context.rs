//! Context assembly: how much of what goes into a prompt, per route, and
//! from stored messages to the turns a model sees. Pure code.
//!
//! Each route has a token budget per section (system, memories, summaries,
//! turns) plus its reply (`max_tokens`). `fit` shrinks the sections so that
//! the whole prompt and the reply stay inside the model's context window,
//! with a margin for the estimate's error and the chat template's overhead.

use super::completion::Turn;
use super::limits::MAX_MESSAGE_CHARS;
use super::message::{Message, Role};
use super::route::Route;

/// Tokens per section of a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionBudgets {
    pub system: u32,
    pub memories: u32,
    pub summaries: u32,
    pub turns: u32,
}

impl SectionBudgets {
    pub fn total(&self) -> u32 {
        self.system + self.memories + self.summaries + self.turns
    }
}

/// How a route's prompt is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContextProfile {
    /// Most recent stored messages to read (one bounded read).
    pub recent_turns: usize,
    pub budgets: SectionBudgets,
    pub max_tokens: u32,
    pub temperature: f32,
}

/// Share of the window that may be planned; the rest absorbs estimate error.
const WINDOW_USE: f32 = 0.85;

/// A token estimate that errs high: about four characters a token for
/// English, plus a few tokens of framing per turn.
pub fn estimate_tokens(text: &str) -> u32 {
    (text.chars().count() as u32).div_ceil(4)
}

const TURN_OVERHEAD: u32 = 4;

/// The smallest turns budget: the current message at its longest must fit.
pub const MIN_TURNS_BUDGET: u32 = (MAX_MESSAGE_CHARS as u32).div_ceil(4) + TURN_OVERHEAD;

/// The context window of a model, by its id; unknown models get a
/// conservative 8K.
pub fn context_window(model: &str) -> u32 {
    let m = model.to_ascii_lowercase();
    if m.starts_with("claude") {
        200_000
    } else if m.contains("llama-3") || m.contains("llama3") {
        131_072
    } else if m.starts_with("gpt-4o") || m.starts_with("gpt-4.1") {
        128_000
    } else {
        8_192
    }
}

impl ContextProfile {
    pub fn for_route(route: Route) -> Self {
        match route {
            // Everyday support: the last 10 turns, a few memories, the rolling summary.
            Route::Support => Self {
                recent_turns: 10,
                budgets: SectionBudgets {
                    system: 500,
                    memories: 400,
                    summaries: 300,
                    turns: 3_000,
                },
                max_tokens: 150,
                temperature: 0.7,
            },
            // Crisis: the recent conversation and the safety prompt; nothing else.
            Route::Crisis => Self {
                recent_turns: 10,
                budgets: SectionBudgets {
                    system: 700,
                    memories: 0,
                    summaries: 0,
                    turns: 3_000,
                },
                max_tokens: 200,
                temperature: 0.3,
            },
            // A problem to work through: 20+ turns, more memories and summaries.
            Route::Reasoning => Self {
                recent_turns: 24,
                budgets: SectionBudgets {
                    system: 500,
                    memories: 1_200,
                    summaries: 1_200,
                    turns: 8_000,
                },
                max_tokens: 600,
                temperature: 0.5,
            },
            // Patterns over time: the whole current session (up to 200
            // messages, a bounded read) within its budget, and summaries across sessions.
            Route::Pattern => Self {
                recent_turns: 200,
                budgets: SectionBudgets {
                    system: 500,
                    memories: 1_500,
                    summaries: 3_000,
                    turns: 12_000,
                },
                max_tokens: 600,
                temperature: 0.5,
            },
        }
    }

    /// Shrink the sections to fit `window` tokens with the reply. The system
    /// section and the smallest turns budget are kept; memories, summaries
    /// and the rest of the turns give way in proportion.
    pub fn fit(mut self, window: u32) -> Self {
        let usable = (window as f32 * WINDOW_USE) as u32;
        let b = self.budgets;
        let fixed = b.system + self.max_tokens + MIN_TURNS_BUDGET.min(b.turns);
        let flexible = b.memories + b.summaries + b.turns.saturating_sub(MIN_TURNS_BUDGET);
        if b.total() + self.max_tokens <= usable || flexible == 0 {
            return self;
        }
        let room = usable.saturating_sub(fixed);
        let scale = room as f32 / flexible as f32;
        let shrink = |v: u32| (v as f32 * scale).floor() as u32;
        self.budgets = SectionBudgets {
            system: b.system,
            memories: shrink(b.memories),
            summaries: shrink(b.summaries),
            turns: MIN_TURNS_BUDGET.min(b.turns) + shrink(b.turns.saturating_sub(MIN_TURNS_BUDGET)),
        };
        self
    }
}

/// The longest prefix of `items` whose estimated tokens fit `budget`.
pub fn fit_items<T>(items: Vec<T>, budget: u32, text: impl Fn(&T) -> &str) -> Vec<T> {
    let mut used = 0;
    items
        .into_iter()
        .take_while(|i| {
            used += estimate_tokens(text(i)) + TURN_OVERHEAD;
            used <= budget
        })
        .collect()
}

/// The newest messages (oldest first) whose turns fit `budget` tokens. The
/// last message, the one being answered, is always kept.
pub fn within_budget(messages: &[Message], budget: u32) -> &[Message] {
    let mut used = 0u32;
    let mut start = messages.len();
    for (i, m) in messages.iter().enumerate().rev() {
        let cost = estimate_tokens(&m.content) + TURN_OVERHEAD;
        if used + cost > budget && start < messages.len() {
            break;
        }
        used += cost;
        start = i;
    }
    &messages[start..]
}

/// Estimated tokens of a whole conversation as sent.
pub fn turns_tokens(turns: &[Turn]) -> u32 {
    turns
        .iter()
        .map(|t| estimate_tokens(&t.content) + TURN_OVERHEAD)
        .sum()
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
            remember: true,
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
            assessment: None,
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

    #[test]
    fn budgets_fit_every_window_at_their_limits() {
        let routes = [
            Route::Support,
            Route::Crisis,
            Route::Reasoning,
            Route::Pattern,
        ];
        for window in [4_096, 8_192, 32_768, 131_072, 200_000] {
            for route in routes {
                let p = ContextProfile::for_route(route).fit(window);
                assert!(
                    p.budgets.total() + p.max_tokens <= window,
                    "{route:?} in {window}: {:?}",
                    p.budgets
                );
                assert!(
                    p.budgets.turns
                        >= MIN_TURNS_BUDGET.min(ContextProfile::for_route(route).budgets.turns)
                );
                // Filling the turns section with longest-possible messages stays inside it.
                let long = "x".repeat(MAX_MESSAGE_CHARS);
                let messages: Vec<Message> = (0..p.recent_turns as u64)
                    .map(|i| {
                        msg(
                            i,
                            if i % 2 == 0 {
                                Role::User
                            } else {
                                Role::Assistant
                            },
                            &long,
                        )
                    })
                    .collect();
                let kept = within_budget(&messages, p.budgets.turns);
                assert!(!kept.is_empty());
                assert!(
                    turns_tokens(&conversation(kept)) <= p.budgets.turns,
                    "{route:?} {window}"
                );
            }
        }
    }

    #[test]
    fn a_large_window_leaves_the_budgets_alone() {
        let p = ContextProfile::for_route(Route::Pattern);
        assert_eq!(p.fit(200_000), p);
    }

    #[test]
    fn the_message_being_answered_is_always_kept() {
        let long = "y".repeat(MAX_MESSAGE_CHARS);
        let messages = vec![msg(1, Role::User, "hi"), msg(2, Role::User, &long)];
        let kept = within_budget(&messages, 10);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].seq, 2);
    }

    #[test]
    fn known_models_have_their_windows() {
        assert_eq!(context_window("claude-haiku-4-5"), 200_000);
        assert_eq!(
            context_window("meta-llama/Llama-3.3-70B-Instruct-Turbo"),
            131_072
        );
        assert_eq!(context_window("smollm2-135m-instruct"), 8_192);
    }
}
