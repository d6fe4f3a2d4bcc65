//! `ConversationStore` on the fake: sessions, messages, the idempotency of
//! `client_message_id`, crisis flags and the activity index.

use super::{FakeStore, Person, page};
use crate::domain::assessment::StoredAssessment;
use crate::domain::cursor::{
    FlagPosition, MessageSeq, PersonPosition, SessionPosition, UserPosition,
};
use crate::domain::ids::{MessageId, SessionId, UserId};
use crate::domain::message::{
    CrisisFlag, Message, NewReply, NewUserMessage, RecordedTurn, Role, Session,
};
use crate::domain::page::{Page, PageRequest};
use crate::ports::{ConversationStore, StoreError};
use async_trait::async_trait;
use chrono::NaiveDate;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("FakeStore: {what}"))
}

impl Person {
    fn message(&self, session: &SessionId, seq: u64) -> Option<Message> {
        self.messages.get(&(session.clone(), seq)).cloned()
    }

    /// Keep a message and its session, as `Message::user`, `Message::reply`
    /// or `Message::imported` left them.
    pub(super) fn put_appended(&mut self, session: &Session, message: &Message) {
        self.messages
            .insert((session.id.clone(), message.seq), message.clone());
        self.sessions.insert(session.id.clone(), session.clone());
    }
}

/// The order of sessions (newest first, by this key) is their cursor's.
fn session_key(p: SessionPosition) -> (i64, SessionId) {
    (p.created_ms, p.id)
}

/// The order of crisis flags (newest first, by this key) is their cursor's.
fn flag_key(p: FlagPosition) -> (i64, MessageId) {
    (p.at_ms, p.message_id)
}

#[async_trait]
impl ConversationStore for FakeStore {
    async fn record_user_message(
        &self,
        user: &UserId,
        input: NewUserMessage,
    ) -> Result<RecordedTurn, StoreError> {
        self.write("record_user_message", user, |p, _| {
            if let Some(cmid) = &input.client_message_id
                && let Some((sid, seq)) = p.client_ids.get(cmid).cloned()
            {
                let session = p
                    .sessions
                    .get(&sid)
                    .cloned()
                    .ok_or_else(|| corrupt("turn without session"))?;
                let message = p
                    .message(&sid, seq)
                    .ok_or_else(|| corrupt("turn without message"))?;
                let reply = message.answered_by.and_then(|r| p.message(&sid, r));
                return Ok(RecordedTurn {
                    session,
                    message,
                    reply,
                    replayed: true,
                });
            }
            let mut session = match &input.session_id {
                Some(id) => p.sessions.get(id).cloned().ok_or(StoreError::NotFound)?,
                None => Session::new(SessionId::generate(), input.created_at),
            };
            let message = Message::user(&mut session, &input);
            p.put_appended(&session, &message);
            p.activity
                .insert(message.created_at.date_naive(), message.created_at);
            if let Some(category) = input.crisis {
                p.crisis_flags
                    .push(CrisisFlag::for_message(&message, category));
            }
            if let Some(cmid) = input.client_message_id {
                p.client_ids.insert(cmid, (session.id.clone(), message.seq));
            }
            Ok(RecordedTurn {
                session,
                message,
                reply: None,
                replayed: false,
            })
        })
    }

    async fn record_reply(
        &self,
        user: &UserId,
        session_id: &SessionId,
        answers: u64,
        reply: NewReply,
    ) -> Result<Message, StoreError> {
        self.write("record_reply", user, |p, _| {
            let mut session = p
                .sessions
                .get(session_id)
                .cloned()
                .ok_or(StoreError::NotFound)?;
            let mut question = p
                .message(session_id, answers)
                .filter(|m| m.role == Role::User)
                .ok_or(StoreError::NotFound)?;
            if let Some(existing) = question.answered_by {
                // At most one reply per user message: the first one stays.
                return p
                    .message(session_id, existing)
                    .ok_or_else(|| corrupt("reply pointer dangles"));
            }
            let message = Message::reply(&mut session, &reply);
            p.put_appended(&session, &message);
            question.answered_by = Some(message.seq);
            p.messages.insert((session_id.clone(), answers), question);
            Ok(message)
        })
    }

    async fn get_session(
        &self,
        user: &UserId,
        session_id: &SessionId,
    ) -> Result<Option<Session>, StoreError> {
        self.read("get_session", user, |p| {
            Ok(p.and_then(|p| p.sessions.get(session_id).cloned()))
        })
    }

    async fn set_session_remember(
        &self,
        user: &UserId,
        session_id: &SessionId,
        remember: bool,
    ) -> Result<Session, StoreError> {
        self.write("set_session_remember", user, |p, _| {
            let session = p.sessions.get_mut(session_id).ok_or(StoreError::NotFound)?;
            session.remember = remember;
            Ok(session.clone())
        })
    }

    async fn list_sessions(
        &self,
        user: &UserId,
        req: &PageRequest,
    ) -> Result<Page<Session>, StoreError> {
        let before = req.position::<SessionPosition>()?.map(session_key);
        self.read("list_sessions", user, |p| {
            let mut sessions: Vec<Session> = p
                .map(|p| p.sessions.values().cloned().collect())
                .unwrap_or_default();
            let key = |s: &Session| session_key(SessionPosition::of(s));
            sessions.sort_by_key(|s| std::cmp::Reverse(key(s)));
            let rest = sessions
                .into_iter()
                .filter(|s| before.as_ref().is_none_or(|b| key(s) < *b));
            Ok(page(rest, req.limit, SessionPosition::of))
        })
    }

    async fn list_messages(
        &self,
        user: &UserId,
        session_id: &SessionId,
        req: &PageRequest,
    ) -> Result<Page<Message>, StoreError> {
        let after = req.position::<MessageSeq>()?.map(|MessageSeq(seq)| seq);
        self.read("list_messages", user, |p| {
            let p = p
                .filter(|p| p.sessions.contains_key(session_id))
                .ok_or(StoreError::NotFound)?;
            let from = after.map_or(0, |seq| seq.saturating_add(1));
            let rest = p
                .messages
                .range((session_id.clone(), from)..=(session_id.clone(), u64::MAX))
                .map(|(_, m)| m.clone());
            Ok(page(rest, req.limit, |m: &Message| MessageSeq(m.seq)))
        })
    }

    async fn record_crisis_flag(&self, user: &UserId, flag: &CrisisFlag) -> Result<(), StoreError> {
        self.write("record_crisis_flag", user, |p, _| {
            let key = |f: &CrisisFlag| flag_key(FlagPosition::of(f));
            p.crisis_flags.retain(|f| key(f) != key(flag));
            p.crisis_flags.push(flag.clone());
            Ok(())
        })
    }

    async fn record_assessment(
        &self,
        user: &UserId,
        session_id: &SessionId,
        seq: u64,
        assessment: &StoredAssessment,
    ) -> Result<(), StoreError> {
        self.write("record_assessment", user, |p, _| {
            let message = p
                .messages
                .get_mut(&(session_id.clone(), seq))
                .ok_or(StoreError::NotFound)?;
            message.assessment = Some(assessment.clone());
            Ok(())
        })
    }

    async fn list_crisis_flags(
        &self,
        user: &UserId,
        req: &PageRequest,
    ) -> Result<Page<CrisisFlag>, StoreError> {
        let before = req.position::<FlagPosition>()?.map(flag_key);
        self.read("list_crisis_flags", user, |p| {
            let mut flags: Vec<CrisisFlag> = p.map(|p| p.crisis_flags.clone()).unwrap_or_default();
            let key = |f: &CrisisFlag| flag_key(FlagPosition::of(f));
            flags.sort_by_key(|f| std::cmp::Reverse(key(f)));
            let rest = flags
                .into_iter()
                .filter(|f| before.as_ref().is_none_or(|b| key(f) < *b));
            Ok(page(rest, req.limit, FlagPosition::of))
        })
    }

    async fn active_users(
        &self,
        day: NaiveDate,
        req: &PageRequest,
    ) -> Result<Page<UserId>, StoreError> {
        let after = req.position::<UserPosition>()?.map(|UserPosition(u)| u);
        let state = self.enter("active_users")?;
        let rest = state
            .people
            .iter()
            .filter(|(u, p)| after.as_ref().is_none_or(|a| *u > a) && p.activity.contains_key(&day))
            .map(|(u, _)| u.clone());
        Ok(page(rest, req.limit, |u: &UserId| UserPosition(u.clone())))
    }

    async fn all_users(&self, req: &PageRequest) -> Result<Page<UserId>, StoreError> {
        let after = req.position::<PersonPosition>()?.map(|PersonPosition(u)| u);
        let state = self.enter("all_users")?;
        let rest = state
            .people
            .iter()
            .filter(|(u, p)| {
                after.as_ref().is_none_or(|a| *u > a)
                    && (!p.sessions.is_empty() || !p.journal.is_empty())
            })
            .map(|(u, _)| u.clone());
        Ok(page(rest, req.limit, |u: &UserId| {
            PersonPosition(u.clone())
        }))
    }

    async fn recent_messages(
        &self,
        user: &UserId,
        session_id: &SessionId,
        up_to_seq: u64,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        self.read("recent_messages", user, |p| {
            let Some(p) = p else {
                return Ok(Vec::new());
            };
            let mut out: Vec<Message> = p
                .messages
                .range((session_id.clone(), 0)..=(session_id.clone(), up_to_seq))
                .rev()
                .take(limit)
                .map(|(_, m)| m.clone())
                .collect();
            out.reverse();
            Ok(out)
        })
    }
}
