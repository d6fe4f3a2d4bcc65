//! The API's JSON shapes (DESIGN.md, "Shapes"). Internal fields such as a
//! message's `seq` stay inside.

use crate::domain::crisis_notice::CrisisNotice;
use crate::domain::journal::JournalItem;
use crate::domain::message::{ContextCounts, Message, Role, Session, Usage};
use crate::domain::notices::Notice;
use crate::domain::page::Page;
use crate::domain::route::Route;
use crate::domain::safety::CrisisCategory;
use crate::service::chat::ChatOutcome;
use crate::service::journal::Written;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Serialize)]
pub struct List<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    pub fn from_page<U>(page: Page<U>, f: impl Fn(U) -> T) -> Self {
        Self {
            items: page.items.into_iter().map(f).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

#[derive(Serialize)]
pub struct SessionView {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_message_at: DateTime<Utc>,
    pub message_count: u64,
    /// `false`: its turns are kept out of memory (`remember: false`).
    pub remember: bool,
}

impl From<Session> for SessionView {
    fn from(s: Session) -> Self {
        Self {
            id: s.id.into(),
            created_at: s.created_at,
            last_message_at: s.last_message_at,
            message_count: s.message_count,
            remember: s.remember,
        }
    }
}

#[derive(Serialize)]
pub struct MessageView {
    pub id: String,
    pub session_id: String,
    pub role: Role,
    pub content: String,
    pub created_at: DateTime<Utc>,
    pub external_id: Option<String>,
    pub route: Option<Route>,
    pub model: Option<String>,
    pub usage: Option<Usage>,
    pub memories_used: Option<Vec<String>>,
    /// `false` for a turn kept out of memory (`remember: false`).
    pub remember: bool,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        let (route, model, usage, memories_used) = match m.reply {
            Some(r) => (
                Some(r.route),
                Some(r.model),
                Some(r.usage),
                Some(r.memories_used),
            ),
            None => (None, None, None, None),
        };
        Self {
            id: m.id.into(),
            session_id: m.session_id.into(),
            role: m.role,
            content: m.content,
            created_at: m.created_at,
            external_id: m.external_id,
            route,
            model,
            usage,
            memories_used,
            remember: m.remember,
        }
    }
}

#[derive(Serialize)]
pub struct ReplyView {
    pub id: String,
    pub content: String,
    pub model: String,
    pub route: Route,
}

#[derive(Serialize)]
pub struct ChatResponse {
    pub session_id: String,
    pub user_message_id: String,
    pub reply: ReplyView,
    pub memories_used: Vec<String>,
    pub context: ContextCounts,
    pub crisis: Option<CrisisView>,
    /// `[{kind, text}]`: the AI disclosure and the minors' notices due
    /// with this reply (`domain::notices`); `[]` when none is.
    pub notices: Vec<Notice>,
}

/// A flagged answer's crisis part, the same in a chat response and a
/// journal entry's 201: `{category, locale, resources: [{name, phone,
/// text, url}]}`, so a client can show the resources apart from the text
/// (which still ends with them).
#[derive(Serialize)]
pub struct CrisisView {
    pub category: CrisisCategory,
    pub locale: &'static str,
    pub resources: Vec<ResourceView>,
}

/// One line of help. `text` is the line as the reply renders it.
#[derive(Serialize)]
pub struct ResourceView {
    pub name: Option<&'static str>,
    pub phone: Option<&'static str>,
    pub text: &'static str,
    pub url: Option<&'static str>,
}

impl From<CrisisNotice> for CrisisView {
    fn from(n: CrisisNotice) -> Self {
        let resources = n
            .resources
            .lines_for(Some(n.category))
            .map(|l| ResourceView {
                name: Some(l.name),
                phone: l.phone,
                text: l.text,
                url: l.url,
            })
            .collect();
        Self {
            category: n.category,
            locale: n.locale(),
            resources,
        }
    }
}

/// A journal entry's or prompt's 201: the item, and `crisis`.
#[derive(Serialize)]
pub struct WrittenView {
    #[serde(flatten)]
    pub item: JournalItem,
    pub crisis: Option<CrisisView>,
}

impl From<Written> for WrittenView {
    fn from(w: Written) -> Self {
        Self {
            item: w.item,
            crisis: w.crisis.map(Into::into),
        }
    }
}

impl From<ChatOutcome> for ChatResponse {
    fn from(o: ChatOutcome) -> Self {
        let meta = o
            .reply
            .reply
            .unwrap_or_else(|| crate::domain::message::ReplyMeta {
                route: Route::Support,
                model: String::new(),
                usage: Usage::default(),
                memories_used: Vec::new(),
                context: ContextCounts::default(),
            });
        Self {
            session_id: o.session_id.into(),
            user_message_id: o.user_message.id.into(),
            reply: ReplyView {
                id: o.reply.id.into(),
                content: o.reply.content,
                model: meta.model,
                route: meta.route,
            },
            memories_used: meta.memories_used,
            context: meta.context,
            crisis: o.crisis.map(Into::into),
            notices: o.notices,
        }
    }
}

#[derive(Serialize)]
pub struct MemoryView {
    pub id: String,
    pub category: crate::domain::memory::Category,
    pub content: String,
    pub importance: u8,
    pub source_message_ids: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub superseded_by: Option<String>,
    pub edited: bool,
}

impl From<crate::domain::memory::Memory> for MemoryView {
    fn from(m: crate::domain::memory::Memory) -> Self {
        Self {
            id: m.id.into(),
            category: m.category,
            content: m.content,
            importance: m.importance,
            source_message_ids: m.source_message_ids.into_iter().map(Into::into).collect(),
            created_at: m.created_at,
            updated_at: m.updated_at,
            ended_at: m.ended_at,
            superseded_by: m.superseded_by.map(Into::into),
            edited: m.edited,
        }
    }
}
