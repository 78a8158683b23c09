//! The helper use cases against the in-memory store: each consent path, the limits, ending links
//! from either side, a child coming of age, and the audit trail.

use super::links::invitation_hash;
use super::request::parse_relation;
use super::view::{audit_trail, list_applicants, list_helpers, parse_audit_limit};
use super::*;
use crate::auth::documents::tests::keys;
use crate::auth::Identified;
use crate::authz::{acting_for, authorize, record_views};
use crate::domain::arb::resident;
use crate::domain::arb::with_check;
use crate::domain::{IdNumber, InvitationCode, PersonDocument, PersonName};
use crate::entropy::Entropy;
use crate::error::{ApiResult, ErrorCode};
use crate::fake::{block_on, MemoryStore};
use crate::login::identity::FaceCheck;
use crate::rules::{MinorLinkPolicy, Rules};
use crate::store::*;
use crate::time::{at, Instant};
use chrono::{Duration, NaiveDate, NaiveTime};
use serde_json::{json, Value};
use std::cell::Cell;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn now() -> Instant {
    at(d(2026, 11, 27), NaiveTime::from_hms_opt(10, 0, 0).unwrap())
}

/// A valid ID number born on `birth`, `n` telling people born the same day apart.
fn id_born(birth: NaiveDate, n: u32) -> String {
    with_check(&format!("110105{}{:03}", birth.format("%Y%m%d"), n))
}

struct Face {
    pass: bool,
    calls: Cell<u32>,
}

impl Face {
    fn passing() -> Self {
        Face {
            pass: true,
            calls: Cell::new(0),
        }
    }
    fn failing() -> Self {
        Face {
            pass: false,
            calls: Cell::new(0),
        }
    }
}

impl FaceCheck for Face {
    async fn passed(&self, _: &PersonName, _: &PersonDocument, _: &str) -> ApiResult<bool> {
        self.calls.set(self.calls.get() + 1);
        Ok(self.pass)
    }
}

struct World {
    s: MemoryStore,
    rules: Rules,
    e: std::cell::RefCell<Entropy>,
}

impl World {
    fn new() -> Self {
        Self::with_rules(Rules::default())
    }

    fn with_rules(rules: Rules) -> Self {
        World {
            s: MemoryStore::new(),
            rules,
            e: std::cell::RefCell::new(Entropy::from_seed([3; 32])),
        }
    }

    fn cx(&self, t: Instant) -> HelperContext<'_> {
        HelperContext {
            rules: &self.rules,
            now: t,
            request_id: "req-h",
        }
    }

    /// A user with a bound identity (their applicant and `self` link), as login leaves them.
    fn person(&self, user: &str, name: &str, id: &str) -> Identified {
        let id = IdNumber::parse(id, now().date_naive()).unwrap();
        let applicant = block_on(
            self.s.create_applicant(&Applicant {
                id: ApplicantId::parse(&format!("a-{user}")).unwrap(),
                name: PersonName::parse(name).unwrap(),
                name_zh: None,
                document: keys()
                    .protect(
                        &PersonDocument::IdCard(id.clone()),
                        &mut self.e.borrow_mut(),
                    )
                    .unwrap(),
                birth_date: Some(id.birth_date()),
                created_at: now(),
            }),
        )
        .unwrap();
        let u = block_on(self.s.create_user(&User {
            id: UserId::parse(user).unwrap(),
            platform: Platform::Wechat,
            openid: format!("wx-{user}"),
            unionid: None,
            phone: None,
            applicant_id: None,
            lang: crate::i18n::Lang::Zh,
            created_at: now(),
        }))
        .unwrap();
        block_on(self.s.bind_identity(&u.id, &applicant.id)).unwrap();
        block_on(self.s.put_link(&Link {
            helper: u.id.clone(),
            applicant: applicant.id.clone(),
            relation: Relation::Own,
            status: LinkStatus::Active,
            consent: Consent::Own,
            invitation_hash: None,
            invitation_expires_at: None,
            created_at: now(),
            updated_at: now(),
        }))
        .unwrap();
        Identified {
            user: block_on(self.s.user(&u.id)).unwrap().unwrap(),
            applicant_id: applicant.id,
        }
    }

    /// Adds `who` = (name, id number, relation) for `me` at `t`.
    fn add_at(
        &self,
        me: &Identified,
        who: (&str, &str, &str),
        token: Option<&str>,
        face: &Face,
        t: Instant,
    ) -> ApiResult<Written> {
        let (name, id, relation) = who;
        let input = parse_add(
            &AddApplicantBody {
                person: resident(name, id),
                relation: relation.into(),
                verify_token: token.map(str::to_owned),
                birth_date: None,
            },
            t.date_naive(),
        )?;
        block_on(add_applicant(
            &self.s,
            &self.cx(t),
            &keys(),
            face,
            me,
            &input,
            &mut self.e.borrow_mut(),
        ))
    }

    fn add(&self, me: &Identified, name: &str, id: &str, relation: &str) -> ApiResult<Written> {
        self.add_at(me, (name, id, relation), None, &Face::passing(), now())
    }

    fn can_act(&self, who: &UserId, applicant: &str, t: Instant) -> bool {
        let id = ApplicantId::parse(applicant).unwrap();
        block_on(authorize(&self.s, who, &id, &self.rules, t.date_naive())).is_ok()
    }

    fn audit_actions(&self, subject: &ApplicantId) -> Vec<String> {
        let mut all = block_on(self.s.audit_of(std::slice::from_ref(subject), 100)).unwrap();
        all.reverse();
        all.into_iter().map(|e| e.action).collect()
    }
}

fn applicant_id(w: &Written) -> String {
    w.body["applicant"]["applicant_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn code_of(w: &Written) -> String {
    w.body["invitation"]["code"].as_str().unwrap().to_owned()
}

fn refusal(r: ApiResult<impl std::fmt::Debug>) -> (ErrorCode, Option<Value>) {
    let e = r.unwrap_err();
    (e.code, e.details.map(|d| d["reason"].clone()))
}

fn adult() -> String {
    id_born(d(1950, 1, 1), 1)
}

#[test]
fn a_parent_adds_a_child_under_16_directly() {
    let w = World::new();
    let mum = w.person("mum", "王芳", &id_born(d(1985, 1, 1), 2));
    let kid_id = id_born(d(2015, 3, 1), 12);
    let added = w.add(&mum, "王小明", &kid_id, "child").unwrap();
    assert_eq!(added.status, 201);
    let a = &added.body["applicant"];
    assert_eq!(a["status"], "active");
    assert_eq!(a["consent"], "guardian");
    assert_eq!(a["relation"], "child");
    assert_eq!(a["minor"], true);
    assert_eq!(a["age"], 11);
    assert_eq!(a["name"], "王**");
    assert_eq!(added.body["invitation"], Value::Null);
    assert!(!a.to_string().contains(&kid_id), "the number is masked");
    assert!(w.can_act(&mum.user.id, &applicant_id(&added), now()));

    let list = block_on(list_applicants(&w.s, &mum.user.id, &w.rules, now())).unwrap();
    let rows = list["applicants"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["is_self"], true);
    assert_eq!(rows[1]["applicant_id"], applicant_id(&added));
    let subject = ApplicantId::parse(&applicant_id(&added)).unwrap();
    assert_eq!(w.audit_actions(&subject), ["helper.linked"]);
}

#[test]
fn a_child_added_by_a_sibling_needs_consent_like_an_adult() {
    let w = World::new();
    let big = w.person("big", "李雷", &id_born(d(1990, 1, 1), 1));
    let added = w
        .add(&big, "李小雷", &id_born(d(2014, 1, 1), 3), "sibling")
        .unwrap();
    assert_eq!(added.body["applicant"]["status"], "pending");
    assert!(!w.can_act(&big.user.id, &applicant_id(&added), now()));
}

#[test]
fn an_adult_present_consents_by_face_verification() {
    let w = World::new();
    let son = w.person("son", "赵强", &id_born(d(1980, 1, 1), 1));
    let face = Face::passing();
    let added = w
        .add_at(
            &son,
            ("赵建国", &adult(), "parent"),
            Some("dev-ok"),
            &face,
            now(),
        )
        .unwrap();
    assert_eq!(face.calls.get(), 1);
    assert_eq!(added.status, 201);
    assert_eq!(added.body["applicant"]["status"], "active");
    assert_eq!(added.body["applicant"]["consent"], "face_verified");
    assert!(w.can_act(&son.user.id, &applicant_id(&added), now()));
}

#[test]
fn a_failed_face_verification_writes_nothing() {
    let w = World::new();
    let son = w.person("son", "赵强", &id_born(d(1980, 1, 1), 1));
    let face = Face::failing();
    let r = w.add_at(
        &son,
        ("赵建国", &adult(), "parent"),
        Some("dev-bad"),
        &face,
        now(),
    );
    assert_eq!(refusal(r).0, ErrorCode::IdentityVerificationFailed);
    let hash = keys().hash(crate::domain::DocumentKind::IdCard, &adult());
    assert_eq!(block_on(w.s.applicant_by_document(&hash)).unwrap(), None);
    let links = block_on(w.s.links_of_helper(&son.user.id)).unwrap();
    assert_eq!(links.len(), 1, "only the own link");
}

#[test]
fn an_invitation_is_accepted_by_the_invited_person_only_once_and_only_in_time() {
    let w = World::new();
    let son = w.person("son", "赵强", &id_born(d(1980, 1, 1), 1));
    let invited = w.add(&son, "赵建国", &adult(), "parent").unwrap();
    assert_eq!(invited.status, 201);
    assert_eq!(invited.body["applicant"]["status"], "pending");
    assert_eq!(invited.body["applicant"]["consent"], "none");
    assert_eq!(
        invited.body["invitation"]["expires_at"],
        "2026-11-30T10:00:00+08:00"
    );
    let code = code_of(&invited);
    let principal_id = applicant_id(&invited);
    assert!(
        !w.can_act(&son.user.id, &principal_id, now()),
        "pending gives no rights"
    );

    // The stranger holding the code is not the invited person.
    let stranger = w.person("stranger", "钱多", &id_born(d(1970, 1, 1), 1));
    let r = block_on(accept_invitation(&w.s, &w.cx(now()), &stranger, &code));
    assert_eq!(refusal(r).0, ErrorCode::Forbidden);
    assert!(!w.can_act(&son.user.id, &principal_id, now()));

    // Dad signs up; his identity is the record the son created, so the code is his to accept.
    let dad = w.person("dad", "赵建国", &adult());
    assert_eq!(dad.applicant_id.as_str(), principal_id);
    let later = now() + Duration::hours(1);
    let accepted = block_on(accept_invitation(&w.s, &w.cx(later), &dad, &code)).unwrap();
    assert_eq!(accepted["user_id"], "son");
    assert_eq!(accepted["name"], "赵*");
    assert_eq!(accepted["status"], "active");
    assert_eq!(accepted["consent"], "invitation");
    assert!(w.can_act(&son.user.id, &principal_id, later));
    // A retry answers alike and changes nothing.
    let again = block_on(accept_invitation(&w.s, &w.cx(later), &dad, &code)).unwrap();
    assert_eq!(again, accepted);
    assert_eq!(
        w.audit_actions(&dad.applicant_id),
        ["helper.invited", "helper.accepted"]
    );

    // Codes that do not parse, or are nobody's, are 404 alike.
    for bad in [
        "nonsense",
        &InvitationCode::from_entropy([7; 8]).display_grouped(),
    ] {
        let r = block_on(accept_invitation(&w.s, &w.cx(later), &dad, bad));
        assert_eq!(refusal(r).0, ErrorCode::NotFound, "{bad}");
    }
}

#[test]
fn an_expired_invitation_cannot_be_accepted_and_can_be_issued_again() {
    let w = World::new();
    let son = w.person("son", "赵强", &id_born(d(1980, 1, 1), 1));
    let invited = w.add(&son, "赵建国", &adult(), "parent").unwrap();
    let dad = w.person("dad", "赵建国", &adult());
    let late = now() + Duration::hours(72);
    let r = block_on(accept_invitation(
        &w.s,
        &w.cx(late),
        &dad,
        &code_of(&invited),
    ));
    assert_eq!(
        refusal(r),
        (ErrorCode::Conflict, Some(json!("invitation_expired")))
    );
    let list = block_on(list_applicants(&w.s, &son.user.id, &w.rules, late)).unwrap();
    assert_eq!(list["applicants"][1]["status"], "expired");

    let again = w
        .add_at(
            &son,
            ("赵建国", &adult(), "parent"),
            None,
            &Face::passing(),
            late,
        )
        .unwrap();
    assert_eq!(
        again.status, 201,
        "an expired link is replaced like a new one"
    );
    assert_ne!(code_of(&again), code_of(&invited));
    let r = block_on(accept_invitation(
        &w.s,
        &w.cx(late),
        &dad,
        &code_of(&invited),
    ));
    assert_eq!(refusal(r).0, ErrorCode::NotFound, "the old code is dead");
    block_on(accept_invitation(&w.s, &w.cx(late), &dad, &code_of(&again))).unwrap();
    assert!(w.can_act(&son.user.id, dad.applicant_id.as_str(), late));
}

#[test]
fn a_pending_invitation_issued_again_keeps_one_link_and_only_the_new_code() {
    let w = World::new();
    let son = w.person("son", "赵强", &id_born(d(1980, 1, 1), 1));
    let first = w.add(&son, "赵建国", &adult(), "parent").unwrap();
    let second = w.add(&son, "赵建国", &adult(), "parent").unwrap();
    assert_eq!(second.status, 200);
    assert_eq!(applicant_id(&first), applicant_id(&second));
    let hash = |w: &Written| invitation_hash(&InvitationCode::parse(&code_of(w)).unwrap());
    assert_eq!(
        block_on(w.s.link_by_invitation(&hash(&first))).unwrap(),
        None
    );
    assert!(block_on(w.s.link_by_invitation(&hash(&second)))
        .unwrap()
        .is_some());
}

#[test]
fn the_same_principal_twice_oneself_and_a_wrong_name_are_refused() {
    let w = World::new();
    let mum = w.person("mum", "王芳", &id_born(d(1985, 1, 1), 2));
    let kid = id_born(d(2015, 3, 1), 12);
    w.add(&mum, "王小明", &kid, "child").unwrap();
    assert_eq!(
        refusal(w.add(&mum, "王小明", &kid, "child")),
        (ErrorCode::Conflict, Some(json!("already_linked")))
    );
    assert_eq!(
        refusal(w.add(&mum, "王芳", &id_born(d(1985, 1, 1), 2), "relative")),
        (ErrorCode::Conflict, Some(json!("self")))
    );
    let dad = w.person("dad", "刘伟", &id_born(d(1984, 1, 1), 1));
    assert_eq!(
        refusal(w.add(&dad, "刘小明", &kid, "child")),
        (ErrorCode::Conflict, Some(json!("name_mismatch")))
    );
    // Another parent may link the same child.
    assert_eq!(w.add(&dad, "王小明", &kid, "child").unwrap().status, 201);
}

#[test]
fn bad_fields_are_named() {
    let today = now().date_naive();
    let body = |name: &str, id: &str, relation: &str, token: Option<&str>| AddApplicantBody {
        person: resident(name, id),
        relation: relation.into(),
        verify_token: token.map(str::to_owned),
        birth_date: None,
    };
    let field = |r: ApiResult<AddApplicant>| r.unwrap_err().details.unwrap()["field"].clone();
    assert_eq!(
        field(parse_add(&body("x", &adult(), "parent", None), today)),
        "name"
    );
    let mut typo = adult();
    typo.replace_range(17.., if typo.ends_with('0') { "1" } else { "0" });
    assert_eq!(
        field(parse_add(&body("赵建国", &typo, "parent", None), today)),
        "id_number"
    );
    assert_eq!(
        field(parse_add(&body("赵建国", &adult(), "self", None), today)),
        "relation"
    );
    assert_eq!(
        field(parse_add(&body("赵建国", &adult(), "boss", None), today)),
        "relation"
    );
    assert_eq!(
        field(parse_add(
            &body("赵建国", &adult(), "parent", Some("has space")),
            today
        )),
        "verify_token"
    );
    let ok = parse_add(&body("赵建国", &adult(), "parent", Some("  ")), today).unwrap();
    assert_eq!(ok.verify_token, None, "an empty token means no token");
    assert_eq!(parse_relation("guardian").unwrap(), Relation::Guardian);
}

#[test]
fn limits_hold_for_the_helper_and_for_the_principal_and_refusals_write_nothing() {
    let mut rules = Rules::default();
    rules.helpers.max_principals_per_user = 2;
    rules.helpers.max_helpers_per_principal = 2;
    let w = World::with_rules(rules);
    let me = w.person("me", "孙丽", &id_born(d(1986, 1, 1), 2));
    w.add(&me, "孙一", &id_born(d(2016, 1, 1), 1), "child")
        .unwrap();
    w.add(&me, "孙二", &id_born(d(2017, 1, 1), 1), "child")
        .unwrap();
    let third = id_born(d(2018, 1, 1), 1);
    let r = w.add(&me, "孙三", &third, "child");
    assert_eq!(
        r.unwrap_err().details.unwrap()["limit"],
        "principals_per_user"
    );
    let hash = keys().hash(crate::domain::DocumentKind::IdCard, &third);
    assert_eq!(
        block_on(w.s.applicant_by_document(&hash)).unwrap(),
        None,
        "the refused principal was not registered"
    );

    let kid = id_born(d(2019, 1, 1), 1);
    let h1 = w.person("h1", "周一", &id_born(d(1987, 1, 1), 1));
    let h2 = w.person("h2", "周二", &id_born(d(1988, 1, 1), 1));
    let h3 = w.person("h3", "周三", &id_born(d(1989, 1, 1), 1));
    w.add(&h1, "周小", &kid, "child").unwrap();
    w.add(&h2, "周小", &kid, "guardian").unwrap();
    let r = w.add(&h3, "周小", &kid, "child");
    assert_eq!(
        r.unwrap_err().details.unwrap()["limit"],
        "helpers_per_principal"
    );

    // An invitation nobody answered stops counting once it expires.
    let me2 = w.person("me2", "吴一", &id_born(d(1982, 1, 1), 1));
    w.add(&me2, "吴父", &id_born(d(1952, 1, 1), 1), "parent")
        .unwrap();
    w.add(&me2, "吴母", &id_born(d(1953, 1, 1), 2), "parent")
        .unwrap();
    let late = now() + Duration::hours(73);
    let r = w.add_at(
        &me2,
        ("吴叔", &id_born(d(1954, 1, 1), 1), "relative"),
        None,
        &Face::passing(),
        late,
    );
    assert_eq!(r.unwrap().status, 201);
}

#[test]
fn a_helper_removes_a_principal_and_loses_the_right_at_once() {
    let w = World::new();
    let mum = w.person("mum", "王芳", &id_born(d(1985, 1, 1), 2));
    let kid = w
        .add(&mum, "王小明", &id_born(d(2015, 3, 1), 12), "child")
        .unwrap();
    let kid_id = applicant_id(&kid);
    let r = block_on(remove_applicant(&w.s, &w.cx(now()), &mum.user.id, &kid_id)).unwrap();
    assert_eq!(r["status"], "revoked");
    assert!(!w.can_act(&mum.user.id, &kid_id, now()));
    let again = block_on(remove_applicant(&w.s, &w.cx(now()), &mum.user.id, &kid_id));
    assert_eq!(refusal(again).0, ErrorCode::NotFound);
    let own = block_on(remove_applicant(
        &w.s,
        &w.cx(now()),
        &mum.user.id,
        mum.applicant_id.as_str(),
    ));
    assert_eq!(
        refusal(own),
        (ErrorCode::Conflict, Some(json!("own_record")))
    );
    let stranger = w.person("stranger", "钱多", &id_born(d(1970, 1, 1), 1));
    let theirs = block_on(remove_applicant(
        &w.s,
        &w.cx(now()),
        &mum.user.id,
        stranger.applicant_id.as_str(),
    ));
    assert_eq!(refusal(theirs).0, ErrorCode::NotFound);
    let bad = block_on(remove_applicant(&w.s, &w.cx(now()), &mum.user.id, "../x"));
    assert_eq!(refusal(bad).0, ErrorCode::NotFound);
    let list = block_on(list_applicants(&w.s, &mum.user.id, &w.rules, now())).unwrap();
    assert_eq!(list["applicants"].as_array().unwrap().len(), 1);
    // The child can be linked again afterwards.
    assert_eq!(
        w.add(&mum, "王小明", &id_born(d(2015, 3, 1), 12), "child")
            .unwrap()
            .status,
        201
    );
}

#[test]
fn a_principal_sees_and_revokes_helpers() {
    let w = World::new();
    let son = w.person("son", "赵强", &id_born(d(1980, 1, 1), 1));
    let dad = w.person("dad", "赵建国", &adult());
    let code = code_of(&w.add(&son, "赵建国", &adult(), "parent").unwrap());
    block_on(accept_invitation(&w.s, &w.cx(now()), &dad, &code)).unwrap();
    let helpers = block_on(list_helpers(&w.s, &dad, &w.rules, now())).unwrap();
    assert_eq!(
        helpers["helpers"][0],
        json!({"user_id": "son", "name": "赵*", "relation": "parent", "status": "active",
               "consent": "invitation", "since": "2026-11-27T10:00:00+08:00"})
    );
    let r = block_on(revoke_helper(&w.s, &w.cx(now()), &dad, "son")).unwrap();
    assert_eq!(r, json!({"user_id": "son", "status": "revoked"}));
    assert!(!w.can_act(&son.user.id, dad.applicant_id.as_str(), now()));
    for who in ["son", "dad", "nobody"] {
        let r = block_on(revoke_helper(&w.s, &w.cx(now()), &dad, who));
        assert_eq!(refusal(r).0, ErrorCode::NotFound, "{who}");
    }
    let helpers = block_on(list_helpers(&w.s, &dad, &w.rules, now())).unwrap();
    assert_eq!(helpers["helpers"], json!([]));
    assert_eq!(
        w.audit_actions(&dad.applicant_id),
        ["helper.invited", "helper.accepted", "helper.revoked"]
    );
}

#[test]
fn a_child_turning_16_needs_to_consent_and_can() {
    let w = World::new();
    let mum = w.person("mum", "王芳", &id_born(d(1985, 1, 1), 2));
    let kid_no = id_born(d(2010, 11, 28), 5);
    let kid = w.add(&mum, "王小明", &kid_no, "child").unwrap();
    let kid_id = applicant_id(&kid);
    let birthday = now() + Duration::days(1);
    assert!(w.can_act(&mum.user.id, &kid_id, now()));
    assert!(
        !w.can_act(&mum.user.id, &kid_id, birthday),
        "lapses on the 16th birthday"
    );
    let list = block_on(list_applicants(&w.s, &mum.user.id, &w.rules, birthday)).unwrap();
    assert_eq!(list["applicants"][1]["status"], "consent_required");

    // Asking again now issues an invitation; the teenager accepts from their own account.
    let asked = w
        .add_at(
            &mum,
            ("王小明", &kid_no, "child"),
            None,
            &Face::passing(),
            birthday,
        )
        .unwrap();
    assert_eq!(asked.status, 200, "the link changes in place");
    assert_eq!(asked.body["applicant"]["status"], "pending");
    let teen = w.person("teen", "王小明", &kid_no);
    block_on(accept_invitation(
        &w.s,
        &w.cx(birthday),
        &teen,
        &code_of(&asked),
    ))
    .unwrap();
    assert!(w.can_act(&mum.user.id, &kid_id, birthday));

    // Under `continue` the guardian link simply goes on.
    let mut rules = Rules::default();
    rules.helpers.minor_link_policy = MinorLinkPolicy::Continue;
    let w2 = World::with_rules(rules);
    let mum2 = w2.person("mum", "王芳", &id_born(d(1985, 1, 1), 2));
    let kid2 = applicant_id(&w2.add(&mum2, "王小明", &kid_no, "child").unwrap());
    assert!(w2.can_act(&mum2.user.id, &kid2, birthday));
}

#[test]
fn a_stale_link_change_loses_and_writes_nothing() {
    let w = World::new();
    let son = w.person("son", "赵强", &id_born(d(1980, 1, 1), 1));
    w.add(&son, "赵建国", &adult(), "parent").unwrap();
    let dad_id = ApplicantId::parse(
        block_on(list_applicants(&w.s, &son.user.id, &w.rules, now())).unwrap()["applicants"][1]
            ["applicant_id"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let link = block_on(w.s.link(&son.user.id, &dad_id)).unwrap().unwrap();
    let stale = Link {
        updated_at: now() - Duration::seconds(5),
        ..link.clone()
    };
    let next = Link {
        status: LinkStatus::Active,
        ..link.clone()
    };
    let audit = AuditEntry {
        actor: Actor::System,
        subject: dad_id.clone(),
        action: "x".into(),
        target: None,
        request_id: "r".into(),
        at: now(),
    };
    assert!(!block_on(w.s.change_link(&stale, &next, &audit)).unwrap());
    assert_eq!(w.audit_actions(&dad_id), ["helper.invited"]);
    assert!(block_on(w.s.change_link(&link, &next, &audit)).unwrap());
}

#[test]
fn the_audit_trail_shows_who_did_what_for_me_with_helpers_masked() {
    let w = World::new();
    let son = w.person("son", "赵强", &id_born(d(1980, 1, 1), 1));
    let dad = w.person("dad", "赵建国", &adult());
    let code = code_of(&w.add(&son, "赵建国", &adult(), "parent").unwrap());
    block_on(accept_invitation(&w.s, &w.cx(now()), &dad, &code)).unwrap();
    // The son reads everyone's data: only the dad's part is recorded, for the dad.
    let acting = block_on(acting_for(
        &w.s,
        &son.user.id,
        None,
        &w.rules,
        now().date_naive(),
    ))
    .unwrap();
    assert_eq!(acting.len(), 2);
    block_on(record_views(
        &w.s,
        &son.user.id,
        &acting,
        "bookings.view",
        None,
        "req-v",
        now(),
    ))
    .unwrap();
    assert_eq!(w.audit_actions(&son.applicant_id), Vec::<String>::new());

    let trail = block_on(audit_trail(&w.s, &dad, 50)).unwrap();
    let entries = trail["entries"].as_array().unwrap();
    let summary: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"]["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // Same second: newest first by insertion.
    assert_eq!(
        summary,
        [
            ("bookings.view".to_owned(), "helper".to_owned()),
            ("helper.accepted".to_owned(), "self".to_owned()),
            ("helper.invited".to_owned(), "helper".to_owned()),
        ]
    );
    assert_eq!(entries[0]["actor"]["name"], "赵*");
    assert_eq!(entries[0]["request_id"], "req-v");
    assert!(!trail.to_string().contains(&adult()));

    assert_eq!(parse_audit_limit(None).unwrap(), 50);
    assert_eq!(parse_audit_limit(Some("200")).unwrap(), 200);
    for bad in ["0", "201", "x", "-1"] {
        assert_eq!(
            parse_audit_limit(Some(bad)).unwrap_err().code,
            ErrorCode::InvalidArgument
        );
    }
}
