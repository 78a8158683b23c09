//! The login function: WeChat and Alipay sign-in, refresh, logout, the account, real-name and
//! phone binding. Handlers only parse, call the provider clients and the shared use cases, and
//! reply; every rule lives in `yuyue_shared::login` and `yuyue_shared::auth`.

use yuyue_adapter::clock::system_now;
use yuyue_adapter::d1::D1Store;
use yuyue_adapter::providers::{alipay, face::FaceVerifier, wechat};
use yuyue_adapter::{rules_cache, ApiResult, Cx, Reply, Routes};
use yuyue_shared::login::identity::{bind_identity, parse_identity, BindContext};
use yuyue_shared::login::requests::{
    AlipayLogin, IdentityBody, PhoneBody, RefreshBody, WechatLogin,
};
use yuyue_shared::login::session::{self, ProviderAccount};
use yuyue_shared::login::{bind_phone, phone_proof, view::user_view, PhoneProof};
use yuyue_shared::providers::parse_client_code;
use yuyue_shared::ratelimit;
use yuyue_shared::store::Platform;

fn routes() -> Routes {
    Routes::new("login")
        .post("/v1/auth/wechat", login_wechat)
        .post("/v1/auth/alipay", login_alipay)
        .post("/v1/auth/refresh", refresh)
        .post("/v1/auth/logout", logout)
        .get("/v1/me", me)
        .post("/v1/me/identity", bind_identity_handler)
        .post("/v1/me/phone", bind_phone_handler)
}

yuyue_adapter::function_entry!(routes);

async fn login_wechat(mut cx: Cx) -> ApiResult<Reply> {
    let body: WechatLogin = cx.json().await?;
    let code = parse_client_code("code", &body.code)?;
    let store = cx.store()?;
    let (rules, _) = rules_cache::current(&store).await?;
    cx.rate_limit(&ratelimit::login_per_client(&rules, &cx.client_address()))
        .await?;
    let session = wechat::code_to_session(&cx, &code).await?;
    let account = ProviderAccount {
        platform: Platform::Wechat,
        openid: session.openid,
        unionid: session.unionid,
    };
    sign_in(&cx, &store, &rules, &account).await
}

async fn login_alipay(mut cx: Cx) -> ApiResult<Reply> {
    let body: AlipayLogin = cx.json().await?;
    let code = parse_client_code("auth_code", &body.auth_code)?;
    let store = cx.store()?;
    let (rules, _) = rules_cache::current(&store).await?;
    cx.rate_limit(&ratelimit::login_per_client(&rules, &cx.client_address()))
        .await?;
    let user = alipay::auth_code_to_user(&cx, &code).await?;
    let account = ProviderAccount {
        platform: Platform::Alipay,
        openid: user.user_id,
        unionid: None,
    };
    sign_in(&cx, &store, &rules, &account).await
}

async fn sign_in(
    cx: &Cx,
    store: &D1Store,
    rules: &yuyue_shared::rules::Rules,
    account: &ProviderAccount,
) -> ApiResult<Reply> {
    cx.rate_limit(&ratelimit::login_per_account(
        rules,
        account.platform,
        &account.openid,
    ))
    .await?;
    let issued = session::sign_in(
        store,
        &cx.token_signer()?,
        account,
        cx.lang,
        system_now(),
        &mut cx.entropy()?,
    )
    .await?;
    Ok(Reply::ok(issued))
}

async fn refresh(mut cx: Cx) -> ApiResult<Reply> {
    let body: RefreshBody = cx.json().await?;
    let store = cx.store()?;
    let issued = session::refresh(
        &store,
        &cx.token_signer()?,
        &body.refresh_token,
        system_now(),
        &mut cx.entropy()?,
    )
    .await?;
    Ok(Reply::ok(issued))
}

async fn logout(cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    session::logout(&cx.store()?, &caller, system_now()).await?;
    Ok(Reply::ok(serde_json::json!({ "logged_out": true })))
}

async fn me(cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let store = cx.store()?;
    let user = caller.user(&store).await?;
    Ok(Reply::ok(user_view(&store, &user).await?))
}

async fn bind_identity_handler(mut cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let body: IdentityBody = cx.json().await?;
    let input = parse_identity(&body, cx.now().date_naive())?;
    let store = cx.store()?;
    let user = caller.user(&store).await?;
    let (rules, _) = rules_cache::current(&store).await?;
    let face = FaceVerifier {
        cx: &cx,
        limit: ratelimit::identity_per_user(&rules, user.id.as_str()),
    };
    let keys = cx.document_keys()?;
    let bind = BindContext {
        keys: &keys,
        face: &face,
        now: system_now(),
        request_id: &cx.request_id,
    };
    let view = bind_identity(&store, &bind, &user, &input, &mut cx.entropy()?).await?;
    Ok(Reply::ok(view))
}

async fn bind_phone_handler(mut cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let body: PhoneBody = cx.json().await?;
    let store = cx.store()?;
    let user = caller.user(&store).await?;
    let phone = match phone_proof(&user, &body)? {
        PhoneProof::Wechat(code) => wechat::phone_number(&cx, &code).await?,
        PhoneProof::Alipay(response) => alipay::phone_number(&cx, &response).await?,
    };
    Ok(Reply::ok(bind_phone(&store, &user, &phone).await?))
}
