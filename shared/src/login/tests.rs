//! The login use cases against the in-memory store.

use super::identity::{bind_identity, parse_identity, BindContext, FaceCheck, IdentityInput};
use super::requests::{IdentityBody, PhoneBody};
use super::session::{logout, refresh, sign_in, Issued, ProviderAccount};
use super::*;
use crate::auth::documents::tests::keys;
use crate::auth::tests::Keys;
use crate::auth::tokens::tests::{signer, t0};
use crate::auth::{authenticate, Caller};
use crate::domain::arb::resident;
use crate::domain::{arb, IdNumber, PersonDocument, PersonName};
use crate::entropy::Entropy;
use crate::error::ErrorCode;
use crate::fake::{block_on, MemoryStore};
use crate::store::{
    Applicants, Consent, IdentityOutcome, LinkStatus, Platform, Relation, SessionId, Sessions,
    UserId, Users,
};
use crate::time::Instant;
use chrono::Duration;
use std::cell::Cell;

const ID: &str = "11010519491231002X";
const OTHER_ID: &str = "110101199003070011";

fn account(platform: Platform, openid: &str) -> ProviderAccount {
    ProviderAccount {
        platform,
        openid: openid.into(),
        unionid: None,
    }
}

fn login(store: &MemoryStore, e: &mut Entropy, openid: &str) -> Issued {
    block_on(sign_in(
        store,
        &signer(),
        &account(Platform::Wechat, openid),
        crate::i18n::Lang::Zh,
        t0(),
        e,
    ))
    .unwrap()
}

fn caller_of(store: &MemoryStore, issued: &Issued, now: Instant) -> ApiResult<Caller> {
    let header = format!("Bearer {}", issued.access_token);
    block_on(authenticate(
        &Keys::new().check(),
        store,
        Some(&header),
        now,
    ))
}

fn user_of(store: &MemoryStore, issued: &Issued) -> User {
    block_on(store.user(&UserId::parse(&issued.user.user_id).unwrap()))
        .unwrap()
        .unwrap()
}

#[test]
fn signing_in_creates_the_account_once_and_opens_a_session() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([1; 32]);
    let first = login(&store, &mut e, "wx-alice");
    assert_eq!(first.expires_in, 900);
    assert!(first.refresh_token.starts_with("yrt_"));
    assert!(!first.user.identity_bound);
    assert_eq!(first.user.platform, Platform::Wechat);
    let again = login(&store, &mut e, "wx-alice");
    assert_eq!(again.user.user_id, first.user.user_id);
    assert_ne!(again.refresh_token, first.refresh_token);
    let other = login(&store, &mut e, "wx-bob");
    assert_ne!(other.user.user_id, first.user.user_id);
    // The same openid on the other platform is another account.
    let ali = block_on(sign_in(
        &store,
        &signer(),
        &account(Platform::Alipay, "wx-alice"),
        crate::i18n::Lang::Zh,
        t0(),
        &mut e,
    ))
    .unwrap();
    assert_ne!(ali.user.user_id, first.user.user_id);
    assert_eq!(ali.user.platform, Platform::Alipay);
    // Both logins work independently.
    assert!(caller_of(&store, &first, t0()).is_ok());
    assert!(caller_of(&store, &again, t0()).is_ok());
}

#[test]
fn a_unionid_is_kept_once_the_provider_gives_one() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([1; 32]);
    let first = login(&store, &mut e, "wx-ucarol");
    let mut with_union = account(Platform::Wechat, "wx-ucarol");
    with_union.unionid = Some("union-ucarol".into());
    let second = block_on(sign_in(
        &store,
        &signer(),
        &with_union,
        crate::i18n::Lang::Zh,
        t0(),
        &mut e,
    ))
    .unwrap();
    assert_eq!(second.user.user_id, first.user.user_id);
    assert_eq!(
        user_of(&store, &second).unionid.as_deref(),
        Some("union-ucarol")
    );
    // A later answer without it does not erase it.
    login(&store, &mut e, "wx-ucarol");
    assert_eq!(
        user_of(&store, &second).unionid.as_deref(),
        Some("union-ucarol")
    );
}

#[test]
fn refreshing_rotates_and_a_used_refresh_token_is_dead() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([2; 32]);
    let first = login(&store, &mut e, "wx-alice");
    let later = t0() + Duration::minutes(20);
    let second = block_on(refresh(
        &store,
        &signer(),
        &first.refresh_token,
        later,
        &mut e,
    ))
    .unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(second.user.user_id, first.user.user_id);
    assert!(caller_of(&store, &second, later).is_ok());
    // The first access token has expired by now; the new one is what works.
    assert_eq!(
        caller_of(&store, &first, later).unwrap_err().code,
        ErrorCode::TokenExpired
    );
    let third = block_on(refresh(
        &store,
        &signer(),
        &second.refresh_token,
        later,
        &mut e,
    ))
    .unwrap();
    assert!(caller_of(&store, &third, later).is_ok());
}

#[test]
fn reusing_a_refresh_token_revokes_the_whole_family() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([3; 32]);
    let first = login(&store, &mut e, "wx-alice");
    let unrelated = login(&store, &mut e, "wx-alice");
    let second = block_on(refresh(
        &store,
        &signer(),
        &first.refresh_token,
        t0(),
        &mut e,
    ))
    .unwrap();

    let reuse = block_on(refresh(
        &store,
        &signer(),
        &first.refresh_token,
        t0(),
        &mut e,
    ));
    let err = reuse.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthenticated);
    assert_eq!(err.details.unwrap()["reason"], "refresh_token_reused");

    // The legitimate holder's newer tokens die with it.
    let newer = block_on(refresh(
        &store,
        &signer(),
        &second.refresh_token,
        t0(),
        &mut e,
    ));
    assert_eq!(
        newer.unwrap_err().details.unwrap()["reason"],
        "session_revoked"
    );
    assert_eq!(
        caller_of(&store, &second, t0()).unwrap_err().code,
        ErrorCode::Unauthenticated
    );
    // Another login of the same account is another family and lives on.
    assert!(caller_of(&store, &unrelated, t0()).is_ok());
    assert!(block_on(refresh(
        &store,
        &signer(),
        &unrelated.refresh_token,
        t0(),
        &mut e
    ))
    .is_ok());
}

#[test]
fn a_race_between_two_refreshes_is_a_reuse() {
    // Both read the session before either rotated it; the storage lets only one rotate.
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([4; 32]);
    let first = login(&store, &mut e, "wx-alice");
    let old = block_on(
        store.session_by_refresh_hash(&crate::auth::refresh::refresh_hash(&first.refresh_token)),
    )
    .unwrap()
    .unwrap();
    let winner = block_on(refresh(
        &store,
        &signer(),
        &first.refresh_token,
        t0(),
        &mut e,
    ))
    .unwrap();
    // The loser's rotate, replayed as it would arrive after the winner's.
    let mut loser_session = old.clone();
    loser_session.id = SessionId::parse("s_loser").unwrap();
    loser_session.refresh_hash = "h-loser".into();
    let outcome = block_on(store.rotate_session(&old.id, &loser_session, t0())).unwrap();
    assert!(matches!(outcome, crate::store::Rotation::Reused));
    // And through the use case, the second presentation revokes the winner too.
    assert!(block_on(refresh(
        &store,
        &signer(),
        &first.refresh_token,
        t0(),
        &mut e
    ))
    .is_err());
    assert!(caller_of(&store, &winner, t0()).is_err());
}

#[test]
fn unknown_malformed_and_expired_refresh_tokens_are_refused() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([5; 32]);
    let first = login(&store, &mut e, "wx-alice");
    let mut other = Entropy::from_seed([6; 32]);
    let unknown = crate::auth::refresh::new_refresh_token(&mut other);
    for token in ["", "garbage", unknown.as_str(), &first.access_token] {
        let err = block_on(refresh(&store, &signer(), token, t0(), &mut e)).unwrap_err();
        assert_eq!(err.code, ErrorCode::Unauthenticated, "{token}");
    }
    let much_later = t0() + Duration::days(31);
    let err = block_on(refresh(
        &store,
        &signer(),
        &first.refresh_token,
        much_later,
        &mut e,
    ))
    .unwrap_err();
    assert_eq!(err.details.unwrap()["reason"], "refresh_token_expired");
}

#[test]
fn logout_revokes_the_family_and_only_it() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([7; 32]);
    let phone_login = login(&store, &mut e, "wx-alice");
    let tablet_login = login(&store, &mut e, "wx-alice");
    let rotated = block_on(refresh(
        &store,
        &signer(),
        &phone_login.refresh_token,
        t0(),
        &mut e,
    ))
    .unwrap();
    let caller = caller_of(&store, &rotated, t0()).unwrap();
    block_on(logout(&store, &caller, t0())).unwrap();
    assert!(caller_of(&store, &rotated, t0()).is_err());
    assert!(caller_of(&store, &phone_login, t0()).is_err());
    let err = block_on(refresh(
        &store,
        &signer(),
        &rotated.refresh_token,
        t0(),
        &mut e,
    ))
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthenticated);
    assert!(caller_of(&store, &tablet_login, t0()).is_ok());
    // Logging out twice is harmless.
    assert!(block_on(logout(&store, &caller, t0())).is_ok());
}

#[test]
fn storage_failures_surface_as_unavailable() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([8; 32]);
    store.fail_next("create_session");
    let err = block_on(sign_in(
        &store,
        &signer(),
        &account(Platform::Wechat, "wx-x"),
        crate::i18n::Lang::Zh,
        t0(),
        &mut e,
    ))
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::UpstreamUnavailable);
}

/// A face provider that answers as told and counts its calls.
struct Face {
    pass: bool,
    fail: bool,
    calls: Cell<u32>,
}

impl Face {
    fn passing() -> Self {
        Face {
            pass: true,
            fail: false,
            calls: Cell::new(0),
        }
    }

    fn failing() -> Self {
        Face {
            pass: false,
            ..Face::passing()
        }
    }

    fn down() -> Self {
        Face {
            fail: true,
            ..Face::passing()
        }
    }
}

impl FaceCheck for Face {
    async fn passed(&self, _: &PersonName, _: &PersonDocument, _: &str) -> ApiResult<bool> {
        self.calls.set(self.calls.get() + 1);
        if self.fail {
            return Err(crate::error::ApiError::new(ErrorCode::UpstreamUnavailable));
        }
        Ok(self.pass)
    }
}

fn input(name: &str, id: &str) -> IdentityInput {
    parse_identity(
        &IdentityBody {
            person: resident(name, id),
            verify_token: "dev-ok".into(),
        },
        arb::TODAY,
    )
    .unwrap()
}

fn bind(
    store: &MemoryStore,
    face: &Face,
    user: &User,
    input: &IdentityInput,
) -> ApiResult<view::UserView> {
    let keys = keys();
    let cx = BindContext {
        keys: &keys,
        face,
        now: t0(),
        request_id: "req-1",
    };
    block_on(bind_identity(
        store,
        &cx,
        user,
        input,
        &mut Entropy::from_seed([9; 32]),
    ))
}

fn outcomes(store: &MemoryStore) -> Vec<IdentityOutcome> {
    store
        .identity_attempts()
        .iter()
        .map(|a| a.outcome)
        .collect()
}

#[test]
fn binding_creates_the_own_applicant_sealed_and_its_self_link() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([10; 32]);
    let issued = login(&store, &mut e, "wx-alice");
    let user = user_of(&store, &issued);
    let view = bind(&store, &Face::passing(), &user, &input("张三", ID)).unwrap();
    assert!(view.identity_bound);
    let identity = view.identity.unwrap();
    assert_eq!(identity.name, "张*");
    assert_eq!(identity.id_number.as_deref(), Some("1101**********002X"));
    assert_eq!(identity.document.number, "1101**********002X");

    let user = user_of(&store, &issued);
    let applicant_id = user.applicant_id.clone().unwrap();
    assert_eq!(identity.applicant_id, applicant_id.as_str());
    let applicant = block_on(store.applicant(&applicant_id)).unwrap().unwrap();
    assert_eq!(
        keys()
            .open(&applicant.document.hash, &applicant.document.sealed)
            .unwrap(),
        ID
    );
    assert_eq!(
        applicant.birth_date,
        chrono::NaiveDate::from_ymd_opt(1949, 12, 31)
    );
    let link = block_on(store.link(&user.id, &applicant_id))
        .unwrap()
        .unwrap();
    assert_eq!(
        (link.relation, link.status, link.consent),
        (Relation::Own, LinkStatus::Active, Consent::Own)
    );
    assert_eq!(outcomes(&store), [IdentityOutcome::Bound]);
    let attempt = &store.identity_attempts()[0];
    assert_eq!(attempt.doc_hash, applicant.document.hash);
    assert_eq!(attempt.request_id, "req-1");
    // The account view now says so, and the identity requirement is met.
    let caller = caller_of(&store, &issued, t0()).unwrap();
    assert!(block_on(caller.require_identity(&store)).is_ok());
}

#[test]
fn a_failed_verification_binds_nothing_and_is_recorded() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([11; 32]);
    let user = user_of(&store, &login(&store, &mut e, "wx-alice"));
    let err = bind(&store, &Face::failing(), &user, &input("张三", ID)).unwrap_err();
    assert_eq!(err.code, ErrorCode::IdentityVerificationFailed);
    assert!(user_of_id(&store, &user.id).applicant_id.is_none());
    assert!(block_on(
        store.applicant_by_document(&keys().hash(crate::domain::DocumentKind::IdCard, ID))
    )
    .unwrap()
    .is_none());
    assert_eq!(outcomes(&store), [IdentityOutcome::VerificationFailed]);
}

fn user_of_id(store: &MemoryStore, id: &UserId) -> User {
    block_on(store.user(id)).unwrap().unwrap()
}

#[test]
fn a_provider_outage_binds_and_records_nothing() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([12; 32]);
    let user = user_of(&store, &login(&store, &mut e, "wx-alice"));
    let err = bind(&store, &Face::down(), &user, &input("张三", ID)).unwrap_err();
    assert_eq!(err.code, ErrorCode::UpstreamUnavailable);
    assert!(outcomes(&store).is_empty());
}

#[test]
fn a_second_account_of_the_same_platform_cannot_take_the_identity() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([13; 32]);
    let alice = user_of(&store, &login(&store, &mut e, "wx-alice"));
    let mallory = user_of(&store, &login(&store, &mut e, "wx-mallory"));
    bind(&store, &Face::passing(), &alice, &input("张三", ID)).unwrap();
    let err = bind(&store, &Face::passing(), &mallory, &input("张三", ID)).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(
        err.details.unwrap()["reason"],
        "identity_bound_to_another_account"
    );
    assert!(user_of_id(&store, &mallory.id).applicant_id.is_none());
    assert_eq!(
        outcomes(&store),
        [
            IdentityOutcome::Bound,
            IdentityOutcome::AlreadyBoundElsewhere
        ]
    );
    assert_eq!(store.identity_attempts()[1].user_id, mallory.id);

    // The same person's Alipay account may bind it: one account per platform.
    let ali = block_on(sign_in(
        &store,
        &signer(),
        &account(Platform::Alipay, "ali-alice"),
        crate::i18n::Lang::Zh,
        t0(),
        &mut e,
    ))
    .unwrap();
    let ali = user_of(&store, &ali);
    let view = bind(&store, &Face::passing(), &ali, &input("张三", ID)).unwrap();
    assert_eq!(
        view.identity.unwrap().applicant_id,
        user_of_id(&store, &alice.id).applicant_id.unwrap().as_str()
    );
}

#[test]
fn the_storage_uniqueness_catches_a_race_the_pre_check_missed() {
    struct Racing<'a>(&'a MemoryStore, &'a User, &'a IdentityInput);
    // Mallory's binding is checked, then Alice binds in between, then Mallory's write lands.
    impl FaceCheck for Racing<'_> {
        async fn passed(&self, _: &PersonName, _: &PersonDocument, _: &str) -> ApiResult<bool> {
            bind(self.0, &Face::passing(), self.1, self.2).unwrap();
            Ok(true)
        }
    }
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([14; 32]);
    let alice = user_of(&store, &login(&store, &mut e, "wx-alice"));
    let mallory = user_of(&store, &login(&store, &mut e, "wx-mallory"));
    let id = input("张三", ID);
    let racing = Racing(&store, &alice, &id);
    let keys = keys();
    let cx = BindContext {
        keys: &keys,
        face: &racing,
        now: t0(),
        request_id: "req-2",
    };
    let err = block_on(bind_identity(&store, &cx, &mallory, &id, &mut e)).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(user_of_id(&store, &mallory.id).applicant_id.is_none());
    assert!(user_of_id(&store, &alice.id).applicant_id.is_some());
}

#[test]
fn binding_again_is_idempotent_without_another_verification() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([15; 32]);
    let user = user_of(&store, &login(&store, &mut e, "wx-alice"));
    let first = bind(&store, &Face::passing(), &user, &input("张三", ID)).unwrap();
    let user = user_of_id(&store, &user.id);
    let face = Face::passing();
    let again = bind(&store, &face, &user, &input("张三", ID)).unwrap();
    assert_eq!(again, first);
    assert_eq!(face.calls.get(), 0);
}

#[test]
fn a_bound_account_cannot_switch_to_another_identity() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([16; 32]);
    let user = user_of(&store, &login(&store, &mut e, "wx-alice"));
    bind(&store, &Face::passing(), &user, &input("张三", ID)).unwrap();
    let user = user_of_id(&store, &user.id);
    let face = Face::passing();
    let err = bind(&store, &face, &user, &input("李四", OTHER_ID)).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(err.details.unwrap()["reason"], "already_bound");
    assert_eq!(face.calls.get(), 0);
    assert_eq!(
        outcomes(&store),
        [IdentityOutcome::Bound, IdentityOutcome::Mismatch]
    );
}

#[test]
fn an_applicant_added_under_another_name_is_not_silently_renamed() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([17; 32]);
    let keys = keys();
    let id = IdNumber::parse(ID, arb::TODAY).unwrap();
    block_on(
        store.create_applicant(&crate::store::Applicant {
            id: crate::store::ApplicantId::parse("a_added").unwrap(),
            name: PersonName::parse("张四").unwrap(),
            name_zh: None,
            document: keys
                .protect(&PersonDocument::IdCard(id.clone()), &mut e)
                .unwrap(),
            birth_date: Some(id.birth_date()),
            created_at: t0(),
        }),
    )
    .unwrap();
    let user = user_of(&store, &login(&store, &mut e, "wx-alice"));
    let err = bind(&store, &Face::passing(), &user, &input("张三", ID)).unwrap_err();
    assert_eq!(err.details.unwrap()["reason"], "name_mismatch");
    // With the name on record, the person binds to the existing applicant.
    let view = bind(&store, &Face::passing(), &user, &input("张四", ID)).unwrap();
    assert_eq!(view.identity.unwrap().applicant_id, "a_added");
}

#[test]
fn identity_input_is_validated_field_by_field() {
    let field = |name: &str, id: &str, token: &str| {
        parse_identity(
            &IdentityBody {
                person: resident(name, id),
                verify_token: token.into(),
            },
            arb::TODAY,
        )
        .unwrap_err()
        .details
        .unwrap()["field"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(field("张", ID, "dev-ok"), "name");
    assert_eq!(field("张三", "110105194912310021", "dev-ok"), "id_number");
    assert_eq!(field("张三", ID, ""), "verify_token");
    assert_eq!(field("张三", ID, "has space"), "verify_token");
    let ok = input("张三", " 11010519491231002x ");
    assert_eq!(ok.person.document.number(), ID);
}

#[test]
fn phones_bind_by_each_platforms_proof_and_show_masked() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([18; 32]);
    let user = user_of(&store, &login(&store, &mut e, "wx-alice"));
    let body = |code: Option<&str>, response: Option<&str>| PhoneBody {
        code: code.map(str::to_owned),
        response: response.map(str::to_owned),
    };
    assert_eq!(
        phone_proof(&user, &body(Some("wx-phone"), None)).unwrap(),
        PhoneProof::Wechat("wx-phone".into())
    );
    for wrong in [body(None, Some("{}")), body(Some(" "), None)] {
        assert_eq!(
            phone_proof(&user, &wrong).unwrap_err().code,
            ErrorCode::InvalidArgument
        );
    }
    let phone = crate::domain::Phone::parse("13812345678").unwrap();
    let view = block_on(bind_phone(&store, &user, &phone)).unwrap();
    assert_eq!(view.user.phone.as_deref(), Some("138****5678"));
    // Whole to its owner, in the answer to binding it only.
    assert_eq!(view.phone_number, "13812345678");
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["phone"], "138****5678");
    assert_eq!(json["phone_number"], "13812345678");
    assert_eq!(json["user_id"], view.user.user_id);
    assert_eq!(user_of_id(&store, &user.id).phone, Some(phone));

    let ali = block_on(sign_in(
        &store,
        &signer(),
        &account(Platform::Alipay, "ali-a"),
        crate::i18n::Lang::Zh,
        t0(),
        &mut e,
    ))
    .unwrap();
    let ali = user_of(&store, &ali);
    assert_eq!(
        phone_proof(&ali, &body(None, Some("{\"response\":\"x\"}"))).unwrap(),
        PhoneProof::Alipay("{\"response\":\"x\"}".into())
    );
    // An Alipay account has no WeChat code to show, and the sealed text is what it must send.
    let err = phone_proof(&ali, &body(Some("wx-phone"), None)).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    assert_eq!(err.details.as_ref().unwrap()["field"], "response");
}

#[test]
fn issued_tokens_never_show_in_debug_output() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([19; 32]);
    let issued = login(&store, &mut e, "wx-alice");
    let debug = format!("{issued:?}");
    assert!(!debug.contains(&issued.access_token));
    assert!(!debug.contains(&issued.refresh_token));
}

fn passport_input(name: &str, number: &str, nationality: &str) -> IdentityInput {
    parse_identity(
        &IdentityBody {
            person: crate::domain::PersonFields {
                name: name.into(),
                passport: Some(crate::domain::document::PassportFields {
                    number: number.into(),
                    nationality: nationality.into(),
                }),
                ..Default::default()
            },
            verify_token: "dev-ok".into(),
        },
        arb::TODAY,
    )
    .unwrap()
}

#[test]
fn a_foreigner_binds_a_passport_once_per_platform() {
    let store = MemoryStore::new();
    let mut e = Entropy::from_seed([41; 32]);
    let user = user_of(&store, &login(&store, &mut e, "wx-john"));
    let view = bind(
        &store,
        &Face::passing(),
        &user,
        &passport_input("smith john", "E12345678", "usa"),
    )
    .unwrap();
    let identity = view.identity.unwrap();
    assert_eq!(identity.name, "S**** J***");
    assert_eq!(identity.id_number, None);
    assert_eq!(identity.document.number, "E1*****78");
    assert_eq!(identity.document.nationality.as_deref(), Some("USA"));
    let applicant = block_on(
        store.applicant(&crate::store::ApplicantId::parse(&identity.applicant_id).unwrap()),
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        applicant.document.kind,
        crate::domain::DocumentKind::ForeignPassport
    );
    assert_eq!(applicant.name.as_str(), "SMITH JOHN");
    assert_eq!(applicant.birth_date, None);
    assert!(!applicant.document.sealed.contains("E12345678"));

    // The same passport for a second WeChat account is refused; the same number as another
    // kind of document is another person.
    let other = user_of(&store, &login(&store, &mut e, "wx-other"));
    let err = bind(
        &store,
        &Face::passing(),
        &other,
        &passport_input("SMITH JOHN", "E12345678", "USA"),
    )
    .unwrap_err();
    assert_eq!(
        err.details.unwrap()["reason"],
        "identity_bound_to_another_account"
    );
}
