//! `ConversationStore` on DynamoDB. The writes are `turns`'; the reads are
//! here: a session and its messages by key, sessions newest first through
//! the local index, crisis flags newest first, and the people active on a
//! day through the global activity index (never a Scan). The one Scan is
//! `all_users`, for a one-off pass over everyone (`hearth migrate`), run
//! with an operator's credentials: no function is granted `dynamodb:Scan`.

use super::DynamoStore;
use super::keys::{
    FLAGS, JOURNAL, SESSIONS, SESSIONS_BY_CREATED, USER, activity_day, activity_sk, created_key,
    flag_sk, key, message_sk, session_sk, user_pk,
};
use super::plumbing::{data, get_s, s, sdk};
use super::schema::{GSI1, GSI1PK, GSI1SK, LSI1, LSI1SK, PK, SK};
use super::turns::message_of;
use crate::domain::assessment::StoredAssessment;
use crate::domain::cursor::{
    FlagPosition, MessageSeq, ScanPosition, SessionPosition, UserPosition,
};
use crate::domain::ids::{SessionId, UserId};
use crate::domain::message::{
    CrisisFlag, Message, NewReply, NewUserMessage, RecordedTurn, Session,
};
use crate::domain::page::{Page, PageRequest};
use crate::ports::{ConversationStore, StoreError};
use async_trait::async_trait;
use chrono::NaiveDate;

impl DynamoStore {
    pub(super) async fn load_session(
        &self,
        user: &UserId,
        id: &SessionId,
    ) -> Result<Option<Session>, StoreError> {
        self.get(user, &session_sk(id))
            .await?
            .map(|i| data(&i))
            .transpose()
    }

    pub(super) async fn load_message(
        &self,
        user: &UserId,
        session: &SessionId,
        seq: u64,
    ) -> Result<Option<Message>, StoreError> {
        self.get(user, &message_sk(session, seq))
            .await?
            .map(|i| message_of(&i))
            .transpose()
    }
}

#[async_trait]
impl ConversationStore for DynamoStore {
    async fn record_user_message(
        &self,
        user: &UserId,
        input: NewUserMessage,
    ) -> Result<RecordedTurn, StoreError> {
        self.write_user_message(user, input).await
    }

    async fn record_reply(
        &self,
        user: &UserId,
        session_id: &SessionId,
        answers: u64,
        reply: NewReply,
    ) -> Result<Message, StoreError> {
        self.write_reply(user, session_id, answers, reply).await
    }

    async fn get_session(
        &self,
        user: &UserId,
        session_id: &SessionId,
    ) -> Result<Option<Session>, StoreError> {
        self.load_session(user, session_id).await
    }

    async fn set_session_remember(
        &self,
        user: &UserId,
        session_id: &SessionId,
        remember: bool,
    ) -> Result<Session, StoreError> {
        self.write_session_remember(user, session_id, remember)
            .await
    }

    async fn list_sessions(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Session>, StoreError> {
        let start = page.position::<SessionPosition>()?.map(|p| {
            let mut start = key(user, session_sk(&p.id));
            start.insert(LSI1SK.into(), s(created_key(p.created_ms, &p.id)));
            start
        });
        let (items, more) = self
            .query_page(
                Some(LSI1),
                "PK = :pk AND begins_with(LSI1SK, :p)",
                &[(":pk", user_pk(user)), (":p", SESSIONS_BY_CREATED.into())],
                false,
                page.limit as usize,
                start,
            )
            .await?;
        let sessions: Vec<Session> = items.iter().map(data).collect::<Result<_, _>>()?;
        Ok(Page::resuming(sessions, more, SessionPosition::of))
    }

    async fn list_messages(
        &self,
        user: &UserId,
        session_id: &SessionId,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError> {
        let after = page
            .position::<MessageSeq>()?
            .map_or(0, |MessageSeq(seq)| seq);
        if self.load_session(user, session_id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let (items, more) = self
            .query_page(
                None,
                "PK = :pk AND SK BETWEEN :from AND :to",
                &[
                    (":pk", user_pk(user)),
                    (":from", message_sk(session_id, after.saturating_add(1))),
                    (":to", message_sk(session_id, u64::MAX / 2)),
                ],
                true,
                page.limit as usize,
                None,
            )
            .await?;
        let messages: Vec<Message> = items.iter().map(message_of).collect::<Result<_, _>>()?;
        Ok(Page::resuming(messages, more, |m: &Message| {
            MessageSeq(m.seq)
        }))
    }

    async fn record_crisis_flag(&self, user: &UserId, flag: &CrisisFlag) -> Result<(), StoreError> {
        self.write_crisis_flag(user, flag).await
    }

    async fn record_assessment(
        &self,
        user: &UserId,
        session_id: &SessionId,
        seq: u64,
        assessment: &StoredAssessment,
    ) -> Result<(), StoreError> {
        self.write_assessment(user, session_id, seq, assessment)
            .await
    }

    async fn list_crisis_flags(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<CrisisFlag>, StoreError> {
        let start = page
            .position::<FlagPosition>()?
            .map(|p| key(user, flag_sk(p.at_ms, &p.message_id)));
        let (items, more) = self
            .query_page(
                None,
                "PK = :pk AND begins_with(SK, :p)",
                &[(":pk", user_pk(user)), (":p", FLAGS.into())],
                false,
                page.limit as usize,
                start,
            )
            .await?;
        let flags: Vec<CrisisFlag> = items.iter().map(data).collect::<Result<_, _>>()?;
        Ok(Page::resuming(flags, more, FlagPosition::of))
    }

    async fn active_users(
        &self,
        day: NaiveDate,
        page: &PageRequest,
    ) -> Result<Page<UserId>, StoreError> {
        let start = page.position::<UserPosition>()?.map(|UserPosition(u)| {
            let mut start = key(&u, activity_sk(day));
            start.insert(GSI1PK.into(), s(activity_day(day)));
            start.insert(GSI1SK.into(), s(u.as_str()));
            start
        });
        let (items, more) = self
            .query_page(
                Some(GSI1),
                "GSI1PK = :g",
                &[(":g", activity_day(day))],
                true,
                page.limit as usize,
                start,
            )
            .await?;
        let users: Vec<UserId> = items
            .iter()
            .map(|i| {
                get_s(i, GSI1SK)
                    .and_then(|u| UserId::parse(u).map_err(|e| StoreError::Corrupt(e.to_string())))
            })
            .collect::<Result<_, _>>()?;
        Ok(Page::resuming(users, more, |u: &UserId| {
            UserPosition(u.clone())
        }))
    }

    /// A Scan of the table for the items that give a person a history
    /// (sessions, journal items), projected to their keys: it reads every
    /// item of the table once (about 1 MB a request, billed before the
    /// filter), so it is for a one-off pass. A person's items are held
    /// together and read in a row, so skipping the last person listed
    /// lists each once; the cursor resumes the Scan at the item that
    /// listed them.
    async fn all_users(&self, page: &PageRequest) -> Result<Page<UserId>, StoreError> {
        let limit = page.limit as usize;
        let resume = page.position::<ScanPosition>()?;
        let mut last: Option<UserId> = resume.as_ref().map(|p| p.user.clone());
        let mut start = resume.map(|p| key(&p.user, p.sk));
        let mut listed: Vec<ScanPosition> = Vec::new();
        let page_of = |listed: Vec<ScanPosition>, more: bool| {
            let page = Page::resuming(listed, more, Clone::clone);
            Page {
                items: page.items.into_iter().map(|p| p.user).collect(),
                next_cursor: page.next_cursor,
            }
        };
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .projection_expression("#pk, #sk")
                .filter_expression("begins_with(#sk, :s) OR begins_with(#sk, :j)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":s", s(SESSIONS))
                .expression_attribute_values(":j", s(JOURNAL))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk)?;
            for item in out.items.unwrap_or_default() {
                let Some(u) = get_s(&item, PK)?.strip_prefix(USER) else {
                    continue;
                };
                if last.as_ref().is_some_and(|l| l.as_str() == u) {
                    continue;
                }
                if listed.len() == limit {
                    return Ok(page_of(listed, true));
                }
                let user = UserId::parse(u).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                last = Some(user.clone());
                listed.push(ScanPosition {
                    user,
                    sk: get_s(&item, SK)?.to_string(),
                });
            }
            match out.last_evaluated_key {
                Some(k) => start = Some(k),
                None => return Ok(page_of(listed, false)),
            }
        }
    }

    async fn recent_messages(
        &self,
        user: &UserId,
        session_id: &SessionId,
        up_to_seq: u64,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let (items, _) = self
            .query_page(
                None,
                "PK = :pk AND SK BETWEEN :from AND :to",
                &[
                    (":pk", user_pk(user)),
                    (":from", message_sk(session_id, 0)),
                    (":to", message_sk(session_id, up_to_seq)),
                ],
                false,
                limit,
                None,
            )
            .await?;
        let mut messages: Vec<Message> = items.iter().map(message_of).collect::<Result<_, _>>()?;
        messages.reverse();
        Ok(messages)
    }
}
