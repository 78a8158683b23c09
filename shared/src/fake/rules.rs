//! The rules and the work calendar.

use super::*;

impl RulesSource for MemoryStore {
    async fn rules(&self) -> ApiResult<Rules> {
        self.step("rules").await?;
        Ok(self.state.borrow().rules.clone())
    }

    async fn calendar(&self) -> ApiResult<WorkCalendar> {
        self.step("calendar").await?;
        Ok(self.state.borrow().calendar.clone())
    }
}
