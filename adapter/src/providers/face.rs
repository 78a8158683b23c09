//! The face-verification vendor, as the real-name binding use case's [`FaceCheck`]. Each check
//! is a paid call, so it counts against the user's daily verification limit first.

use super::{base, call};
use crate::cx::Cx;
use yuyue_shared::domain::{PersonDocument, PersonName};
use yuyue_shared::login::identity::FaceCheck;
use yuyue_shared::providers::face;
use yuyue_shared::ratelimit::Limit;
use yuyue_shared::ApiResult;

pub struct FaceVerifier<'a> {
    pub cx: &'a Cx,
    pub limit: Limit,
}

impl FaceCheck for FaceVerifier<'_> {
    async fn passed(
        &self,
        name: &PersonName,
        document: &PersonDocument,
        verify_token: &str,
    ) -> ApiResult<bool> {
        self.cx.rate_limit(&self.limit).await?;
        let request = face::verify(
            &base(self.cx, "FACE_VERIFY_BASE")?,
            &self.cx.required_config("FACE_API_KEY")?,
            verify_token,
            name,
            document,
        );
        call(self.cx, "face", "verify", &request, async |s, b| {
            face::parse_verify(s, b)
        })
        .await
    }
}
