//! The rate limits' keys: which limit applies to what, from the rules' numbers. The counting
//! (windows, verdicts, shards) is [`crate::rules::limits`]'s.

pub use crate::rules::limits::*;

use crate::rules::Rules;
use crate::store::Platform;

/// Logins from one client address (the edge's `CF-Connecting-IP`).
pub fn login_per_client(rules: &Rules, client: &str) -> Limit {
    Limit {
        key: format!("login:client:{client}"),
        max: rules.rate_limits.login_per_client_per_minute,
        window_seconds: 60,
    }
}

/// Logins into one account, whatever address they come from.
pub fn login_per_account(rules: &Rules, platform: Platform, openid: &str) -> Limit {
    Limit {
        key: format!("login:account:{}:{openid}", platform.as_str()),
        max: rules.rate_limits.login_per_account_per_minute,
        window_seconds: 60,
    }
}

/// Real-name verifications by one user: each is a paid call to the verification provider.
pub fn identity_per_user(rules: &Rules, user: &str) -> Limit {
    Limit {
        key: format!("identity:user:{user}"),
        max: rules.rate_limits.identity_verifications_per_user_per_day,
        window_seconds: 86_400,
    }
}

/// Booking submits that reach the record, and cancellations, by one user.
pub fn booking_per_user(rules: &Rules, user: &str) -> Limit {
    Limit {
        key: format!("booking:user:{user}"),
        max: rules.rate_limits.booking_per_user_per_minute,
        window_seconds: 60,
    }
}

/// Booking submits that reach the record from one client address.
pub fn booking_per_client(rules: &Rules, client: &str) -> Limit {
    Limit {
        key: format!("booking:client:{client}"),
        max: rules.rate_limits.requests_per_client_per_second,
        window_seconds: 1,
    }
}

/// A booking submit's hits, counted with the reads of the record it is about to make: per user
/// (with the user's cancellations) and per client address.
pub fn booking_hits(rules: &Rules, user: &str, client: &str, now_ms: i64) -> [Hit; 2] {
    [
        Hit::new(&booking_per_user(rules, user), now_ms),
        Hit::new(&booking_per_client(rules, client), now_ms),
    ]
}

/// Invitation accepts by one user: a wrong code costs a try, so codes cannot be guessed.
pub fn invitation_accept_per_user(rules: &Rules, user: &str) -> Limit {
    Limit {
        key: format!("invitation:user:{user}"),
        max: rules.rate_limits.invitation_accepts_per_user_per_hour,
        window_seconds: 3_600,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_keys_name_neither_user_nor_address() {
        let rules = Rules::default();
        let [user, client] = booking_hits(&rules, "u-1", "203.0.113.9", 0);
        for h in [&user, &client] {
            assert_eq!(h.row_key().len(), 32);
            assert!(!h.row_key().contains("203") && !h.row_key().contains("u-1"));
        }
        assert_ne!(user.row_key(), client.row_key());
        assert_eq!(user.key, "booking:user:u-1");
    }

    #[test]
    fn limits_come_from_the_rules_with_distinct_keys() {
        let mut rules = Rules::default();
        rules.rate_limits.login_per_client_per_minute = 7;
        rules.rate_limits.login_per_account_per_minute = 4;
        rules.rate_limits.identity_verifications_per_user_per_day = 2;
        let c = login_per_client(&rules, "203.0.113.9");
        assert_eq!((c.max, c.window_seconds), (7, 60));
        let a = login_per_account(&rules, Platform::Alipay, "ali-x");
        assert_eq!((a.max, a.window_seconds), (4, 60));
        assert_eq!(a.key, "login:account:alipay:ali-x");
        let i = identity_per_user(&rules, "u_1");
        assert_eq!((i.max, i.window_seconds), (2, 86_400));
        assert_ne!(c.key, a.key);
        assert_ne!(
            login_per_account(&rules, Platform::Wechat, "x").key,
            login_per_account(&rules, Platform::Alipay, "x").key
        );
    }
}
