//! What every read of a caller's records starts with (their bookings, their waitlist entries):
//! the caller, the record, and the rules (for the helper links a read goes through). The `book`
//! and `waitlist` functions both read this way.

use crate::cx::Cx;
use crate::d1::D1Store;
use crate::rules_cache;
use yuyue_shared::auth::Caller;
use yuyue_shared::booking::list::Reader;
use yuyue_shared::rules::Rules;
use yuyue_shared::ApiResult;

pub struct Reads {
    pub caller: Caller,
    pub store: D1Store,
    pub rules: Rules,
}

impl Reads {
    /// The caller authenticated, then the record and its rules.
    pub async fn load(cx: &Cx) -> ApiResult<Self> {
        let caller = cx.authenticate().await?;
        let store = cx.store()?;
        let (rules, _) = rules_cache::current(&store).await?;
        Ok(Reads {
            caller,
            store,
            rules,
        })
    }

    pub fn reader<'a>(&'a self, cx: &'a Cx) -> Reader<'a> {
        Reader {
            caller: &self.caller.user_id,
            rules: &self.rules,
            now: cx.now(),
            request_id: &cx.request_id,
            lang: cx.lang,
        }
    }
}
