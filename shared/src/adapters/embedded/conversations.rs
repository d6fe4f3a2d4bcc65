//! `ConversationStore` on the embedded engine. Each operation is one redb
//! transaction, so a turn's several writes land together or not at all.

use super::paging::page_of;
use super::tables::{
    ACTIVITY, CLIENT_IDS, CRISIS_FLAGS, JOURNAL, MESSAGES, SESSIONS, SESSIONS_BY_CREATED,
};
use super::{EmbeddedStore, decode, encode, unavailable};
use crate::domain::assessment::StoredAssessment;
use crate::domain::cursor::{
    FlagPosition, MessageSeq, PersonPosition, SessionPosition, UserPosition,
};
use crate::domain::ids::{SessionId, UserId};
use crate::domain::message::{
    CrisisFlag, Message, NewReply, NewUserMessage, RecordedTurn, Role, Session,
};
use crate::domain::page::{Page, PageRequest};
use crate::ports::{ConversationStore, StoreError};
use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable, Table, WriteTransaction};

fn load_session<T: ReadableTable<(&'static str, &'static str), &'static [u8]>>(
    table: &T,
    user: &str,
    session: &str,
) -> Result<Option<Session>, StoreError> {
    match table.get((user, session)).map_err(unavailable)? {
        Some(v) => Ok(Some(decode(v.value())?)),
        None => Ok(None),
    }
}

fn load_message<T: ReadableTable<(&'static str, &'static str, u64), &'static [u8]>>(
    table: &T,
    user: &str,
    session: &str,
    seq: u64,
) -> Result<Option<Message>, StoreError> {
    match table.get((user, session, seq)).map_err(unavailable)? {
        Some(v) => Ok(Some(decode(v.value())?)),
        None => Ok(None),
    }
}

/// The first person after `after` (or the first of all) who has a key in
/// `table`, a table keyed by (user, id): one seek past `after`'s keys.
fn first_user_after<T: ReadableTable<(&'static str, &'static str), &'static [u8]>>(
    table: &T,
    after: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let mut range = match after {
        // Ids are ASCII: no key of `after`'s sorts at or past this one.
        Some(u) => table.range((u, "\u{10FFFF}")..),
        None => table.iter(),
    }
    .map_err(unavailable)?;
    match range.next() {
        Some(entry) => {
            let (k, _) = entry.map_err(unavailable)?;
            Ok(Some(k.value().0.to_string()))
        }
        None => Ok(None),
    }
}

/// Write a message and its session, as `Message::user`, `Message::reply`
/// or `Message::imported` left them.
pub(super) fn put_appended(
    sessions: &mut Table<(&'static str, &'static str), &'static [u8]>,
    messages: &mut Table<(&'static str, &'static str, u64), &'static [u8]>,
    user: &str,
    session: &Session,
    message: &Message,
) -> Result<(), StoreError> {
    messages
        .insert(
            (user, session.id.as_str(), message.seq),
            encode(message)?.as_slice(),
        )
        .map_err(unavailable)?;
    sessions
        .insert((user, session.id.as_str()), encode(session)?.as_slice())
        .map_err(unavailable)?;
    Ok(())
}

#[async_trait]
impl ConversationStore for EmbeddedStore {
    async fn record_user_message(
        &self,
        user: &UserId,
        input: NewUserMessage,
    ) -> Result<RecordedTurn, StoreError> {
        let user = user.clone();
        self.run(move |db| {
            let u = user.as_str();
            let tx = db.begin_write().map_err(unavailable)?;
            let turn = {
                let mut sessions = tx.open_table(SESSIONS).map_err(unavailable)?;
                let mut by_created = tx.open_table(SESSIONS_BY_CREATED).map_err(unavailable)?;
                let mut messages = tx.open_table(MESSAGES).map_err(unavailable)?;
                let mut client_ids = tx.open_table(CLIENT_IDS).map_err(unavailable)?;

                if let Some(cmid) = &input.client_message_id {
                    let seen = client_ids
                        .get((u, cmid.as_str()))
                        .map_err(unavailable)?
                        .map(|v| {
                            let (s, seq) = v.value();
                            (s.to_string(), seq)
                        });
                    if let Some((sid, seq)) = seen {
                        let session = load_session(&sessions, u, &sid)?
                            .ok_or_else(|| StoreError::Corrupt("turn without session".into()))?;
                        let message = load_message(&messages, u, &sid, seq)?
                            .ok_or_else(|| StoreError::Corrupt("turn without message".into()))?;
                        let reply = match message.answered_by {
                            Some(r) => load_message(&messages, u, &sid, r)?,
                            None => None,
                        };
                        return Ok(RecordedTurn {
                            session,
                            message,
                            reply,
                            replayed: true,
                        });
                    }
                }

                let mut session = match &input.session_id {
                    Some(id) => {
                        load_session(&sessions, u, id.as_str())?.ok_or(StoreError::NotFound)?
                    }
                    None => {
                        let s = Session::new(SessionId::generate(), input.created_at);
                        by_created
                            .insert((u, s.created_at.timestamp_millis(), s.id.as_str()), ())
                            .map_err(unavailable)?;
                        s
                    }
                };
                let message = Message::user(&mut session, &input);
                put_appended(&mut sessions, &mut messages, u, &session, &message)?;
                let day = message.created_at.date_naive().to_string();
                tx.open_table(ACTIVITY)
                    .map_err(unavailable)?
                    .insert((day.as_str(), u), message.created_at.timestamp_millis())
                    .map_err(unavailable)?;
                if let Some(category) = input.crisis {
                    let flag = CrisisFlag::for_message(&message, category);
                    put_flag(&tx, u, &flag)?;
                }
                if let Some(cmid) = &input.client_message_id {
                    client_ids
                        .insert((u, cmid.as_str()), (session.id.as_str(), message.seq))
                        .map_err(unavailable)?;
                }
                RecordedTurn {
                    session,
                    message,
                    reply: None,
                    replayed: false,
                }
            };
            tx.commit().map_err(unavailable)?;
            Ok(turn)
        })
        .await
    }

    async fn record_reply(
        &self,
        user: &UserId,
        session_id: &SessionId,
        answers: u64,
        reply: NewReply,
    ) -> Result<Message, StoreError> {
        let (user, sid) = (user.clone(), session_id.clone());
        self.run(move |db| {
            let (u, s) = (user.as_str(), sid.as_str());
            let tx = db.begin_write().map_err(unavailable)?;
            let stored = {
                let mut sessions = tx.open_table(SESSIONS).map_err(unavailable)?;
                let mut messages = tx.open_table(MESSAGES).map_err(unavailable)?;
                let mut session = load_session(&sessions, u, s)?.ok_or(StoreError::NotFound)?;
                let mut question = load_message(&messages, u, s, answers)?
                    .filter(|m| m.role == Role::User)
                    .ok_or(StoreError::NotFound)?;
                if let Some(existing) = question.answered_by {
                    // A concurrent retry answered first: keep exactly one reply.
                    return load_message(&messages, u, s, existing)?
                        .ok_or_else(|| StoreError::Corrupt("reply pointer dangles".into()));
                }
                let message = Message::reply(&mut session, &reply);
                put_appended(&mut sessions, &mut messages, u, &session, &message)?;
                question.answered_by = Some(message.seq);
                messages
                    .insert((u, s, answers), encode(&question)?.as_slice())
                    .map_err(unavailable)?;
                message
            };
            tx.commit().map_err(unavailable)?;
            Ok(stored)
        })
        .await
    }

    async fn set_session_remember(
        &self,
        user: &UserId,
        session_id: &SessionId,
        remember: bool,
    ) -> Result<Session, StoreError> {
        let (user, sid) = (user.clone(), session_id.clone());
        self.run(move |db| {
            let (u, s) = (user.as_str(), sid.as_str());
            let tx = db.begin_write().map_err(unavailable)?;
            let session = {
                let mut sessions = tx.open_table(SESSIONS).map_err(unavailable)?;
                let mut session = load_session(&sessions, u, s)?.ok_or(StoreError::NotFound)?;
                session.remember = remember;
                sessions
                    .insert((u, s), encode(&session)?.as_slice())
                    .map_err(unavailable)?;
                session
            };
            tx.commit().map_err(unavailable)?;
            Ok(session)
        })
        .await
    }

    async fn get_session(
        &self,
        user: &UserId,
        session_id: &SessionId,
    ) -> Result<Option<Session>, StoreError> {
        let (user, sid) = (user.clone(), session_id.clone());
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            let sessions = tx.open_table(SESSIONS).map_err(unavailable)?;
            load_session(&sessions, user.as_str(), sid.as_str())
        })
        .await
    }

    async fn list_sessions(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Session>, StoreError> {
        let user = user.clone();
        let limit = page.limit as usize;
        let before = page.position::<SessionPosition>()?;
        self.run(move |db| {
            let u = user.as_str();
            let tx = db.begin_read().map_err(unavailable)?;
            let index = tx.open_table(SESSIONS_BY_CREATED).map_err(unavailable)?;
            let sessions = tx.open_table(SESSIONS).map_err(unavailable)?;
            let lo = (u, i64::MIN, "");
            let range = match &before {
                Some(p) => index.range(lo..(u, p.created_ms, p.id.as_str())),
                None => index.range(lo..(u, i64::MAX, "\u{10FFFF}")),
            }
            .map_err(unavailable)?;
            let (items, more) = page_of(range.rev(), limit, |(_, _, sid), ()| {
                load_session(&sessions, u, sid)?
                    .ok_or_else(|| StoreError::Corrupt("index points at no session".into()))
                    .map(Some)
            })?;
            Ok(Page::resuming(items, more, SessionPosition::of))
        })
        .await
    }

    async fn list_messages(
        &self,
        user: &UserId,
        session_id: &SessionId,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError> {
        let (user, sid) = (user.clone(), session_id.clone());
        let limit = page.limit as usize;
        let after = page.position::<MessageSeq>()?;
        self.run(move |db| {
            let (u, s) = (user.as_str(), sid.as_str());
            let tx = db.begin_read().map_err(unavailable)?;
            let sessions = tx.open_table(SESSIONS).map_err(unavailable)?;
            if load_session(&sessions, u, s)?.is_none() {
                return Err(StoreError::NotFound);
            }
            let messages = tx.open_table(MESSAGES).map_err(unavailable)?;
            let from = after.map_or(0, |MessageSeq(seq)| seq.saturating_add(1));
            let range = messages
                .range((u, s, from)..=(u, s, u64::MAX))
                .map_err(unavailable)?;
            let (items, more) = page_of(range, limit, |_, v| decode(v).map(Some))?;
            Ok(Page::resuming(items, more, |m: &Message| MessageSeq(m.seq)))
        })
        .await
    }

    async fn record_crisis_flag(&self, user: &UserId, flag: &CrisisFlag) -> Result<(), StoreError> {
        let (user, flag) = (user.clone(), flag.clone());
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            put_flag(&tx, user.as_str(), &flag)?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn record_assessment(
        &self,
        user: &UserId,
        session_id: &SessionId,
        seq: u64,
        assessment: &StoredAssessment,
    ) -> Result<(), StoreError> {
        let (user, sid, assessment) = (user.clone(), session_id.clone(), assessment.clone());
        self.run(move |db| {
            let (u, s) = (user.as_str(), sid.as_str());
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let mut messages = tx.open_table(MESSAGES).map_err(unavailable)?;
                let mut message =
                    load_message(&messages, u, s, seq)?.ok_or(StoreError::NotFound)?;
                message.assessment = Some(assessment);
                messages
                    .insert((u, s, seq), encode(&message)?.as_slice())
                    .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn list_crisis_flags(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<CrisisFlag>, StoreError> {
        let user = user.clone();
        let limit = page.limit as usize;
        let before = page.position::<FlagPosition>()?;
        self.run(move |db| {
            let u = user.as_str();
            let tx = db.begin_read().map_err(unavailable)?;
            let flags = tx.open_table(CRISIS_FLAGS).map_err(unavailable)?;
            let lo = (u, i64::MIN, "");
            let range = match &before {
                Some(p) => flags.range(lo..(u, p.at_ms, p.message_id.as_str())),
                None => flags.range(lo..(u, i64::MAX, "\u{10FFFF}")),
            }
            .map_err(unavailable)?;
            let (items, more) = page_of(range.rev(), limit, |_, v| decode(v).map(Some))?;
            Ok(Page::resuming(items, more, FlagPosition::of))
        })
        .await
    }

    async fn active_users(
        &self,
        day: chrono::NaiveDate,
        page: &PageRequest,
    ) -> Result<Page<UserId>, StoreError> {
        let limit = page.limit as usize;
        let after = page.position::<UserPosition>()?.map(|UserPosition(u)| u);
        self.run(move |db| {
            let d = day.to_string();
            let tx = db.begin_read().map_err(unavailable)?;
            let activity = tx.open_table(ACTIVITY).map_err(unavailable)?;
            let range = match &after {
                Some(u) => activity.range((d.as_str(), u.as_str())..=(d.as_str(), "\u{10FFFF}")),
                None => activity.range((d.as_str(), "")..=(d.as_str(), "\u{10FFFF}")),
            }
            .map_err(unavailable)?;
            let (items, more) = page_of(range, limit, |(_, u), _| {
                // The range starts at the cursor's user, who was listed.
                if after.as_ref().is_some_and(|a| a.as_str() == u) {
                    return Ok(None);
                }
                UserId::parse(u)
                    .map(Some)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })?;
            Ok(Page::resuming(items, more, |u: &UserId| {
                UserPosition(u.clone())
            }))
        })
        .await
    }

    async fn all_users(&self, page: &PageRequest) -> Result<Page<UserId>, StoreError> {
        let limit = page.limit as usize;
        let after = page
            .position::<PersonPosition>()?
            .map(|PersonPosition(u)| u.to_string());
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            let sessions = tx.open_table(SESSIONS).map_err(unavailable)?;
            let journal = tx.open_table(JOURNAL).map_err(unavailable)?;
            let mut users: Vec<UserId> = Vec::new();
            let mut last = after;
            loop {
                let next = [
                    first_user_after(&sessions, last.as_deref())?,
                    first_user_after(&journal, last.as_deref())?,
                ]
                .into_iter()
                .flatten()
                .min();
                let Some(next) = next else {
                    return Ok(Page::resuming(users, false, |u: &UserId| {
                        PersonPosition(u.clone())
                    }));
                };
                if users.len() == limit {
                    return Ok(Page::resuming(users, true, |u: &UserId| {
                        PersonPosition(u.clone())
                    }));
                }
                users.push(UserId::parse(&next).map_err(|e| StoreError::Corrupt(e.to_string()))?);
                last = Some(next);
            }
        })
        .await
    }

    async fn recent_messages(
        &self,
        user: &UserId,
        session_id: &SessionId,
        up_to_seq: u64,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        let (user, sid) = (user.clone(), session_id.clone());
        self.run(move |db| {
            let (u, s) = (user.as_str(), sid.as_str());
            let tx = db.begin_read().map_err(unavailable)?;
            let messages = tx.open_table(MESSAGES).map_err(unavailable)?;
            let range = messages
                .range((u, s, 0)..=(u, s, up_to_seq))
                .map_err(unavailable)?;
            let (mut out, _) = page_of(range.rev(), limit, |_, v| decode::<Message>(v).map(Some))?;
            out.reverse();
            Ok(out)
        })
        .await
    }
}

/// Write `flag` in `tx`, keyed by its time and message, so writing it
/// again replaces it with itself.
pub(super) fn put_flag(
    tx: &WriteTransaction,
    u: &str,
    flag: &CrisisFlag,
) -> Result<(), StoreError> {
    tx.open_table(CRISIS_FLAGS)
        .map_err(unavailable)?
        .insert(
            (u, flag.at.timestamp_millis(), flag.message_id.as_str()),
            encode(flag)?.as_slice(),
        )
        .map_err(unavailable)?;
    Ok(())
}
