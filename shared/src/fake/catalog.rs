//! The catalog: cities, services, offices, schedules.

use super::*;

impl Catalog for MemoryStore {
    async fn cities(&self) -> ApiResult<Vec<City>> {
        self.step("cities").await?;
        Ok(self.state.borrow().cities.clone())
    }

    async fn services(&self) -> ApiResult<Vec<ServiceInfo>> {
        self.step("services").await?;
        Ok(self.state.borrow().services.clone())
    }

    async fn service(&self, id: ServiceId) -> ApiResult<Option<ServiceInfo>> {
        self.step("service").await?;
        let st = self.state.borrow();
        Ok(st.services.iter().find(|s| s.service_id == id).cloned())
    }

    async fn offices(
        &self,
        city: Option<&str>,
        service: Option<ServiceId>,
    ) -> ApiResult<Vec<Office>> {
        self.step("offices").await?;
        let st = self.state.borrow();
        Ok(st
            .offices
            .iter()
            .filter(|o| o.active)
            .filter(|o| city.is_none_or(|c| o.city_id == c))
            .filter(|o| service.is_none_or(|s| o.services.contains(&s)))
            .cloned()
            .collect())
    }

    async fn office(&self, id: &OfficeId) -> ApiResult<Option<Office>> {
        self.step("office").await?;
        let st = self.state.borrow();
        Ok(st.offices.iter().find(|o| &o.office_id == id).cloned())
    }

    async fn put_office(
        &self,
        office: &Office,
        template: Option<&ScheduleTemplate>,
    ) -> ApiResult<()> {
        self.step("put_office").await?;
        let mut st = self.state.borrow_mut();
        if let Some(t) = template {
            st.templates.insert(t.office_id.clone(), t.clone());
        }
        st.offices.retain(|o| o.office_id != office.office_id);
        st.offices.push(office.clone());
        Ok(())
    }

    async fn schedule(
        &self,
        office: &OfficeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ApiResult<Vec<(NaiveDate, PublishedPeriod)>> {
        self.step("schedule").await?;
        let st = self.state.borrow();
        Ok(st
            .schedule
            .range((office.clone(), from)..=(office.clone(), to))
            .flat_map(|((_, d), ps)| ps.iter().map(move |p| (*d, p.clone())))
            .collect())
    }

    async fn put_schedule(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        periods: &[PublishedPeriod],
    ) -> ApiResult<()> {
        self.step("put_schedule").await?;
        let mut st = self.state.borrow_mut();
        st.schedule.insert((office.clone(), date), periods.to_vec());
        Ok(())
    }

    async fn published_days(
        &self,
        office: &OfficeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ApiResult<Vec<NaiveDate>> {
        self.step("published_days").await?;
        let st = self.state.borrow();
        Ok(st
            .schedule
            .range((office.clone(), from)..=(office.clone(), to))
            .map(|((_, d), _)| *d)
            .collect())
    }

    async fn templates(&self) -> ApiResult<Vec<ScheduleTemplate>> {
        self.step("templates").await?;
        Ok(self.state.borrow().templates.values().cloned().collect())
    }
}

impl MemoryStore {
    /// Every real-name binding attempt recorded, oldest first.
    pub fn identity_attempts(&self) -> Vec<IdentityAttempt> {
        self.state.borrow().identity_attempts.clone()
    }

    /// Seeds the catalog for tests.
    pub fn add_city(&self, city: City) {
        self.state.borrow_mut().cities.push(city);
    }

    /// Adds a service, or replaces the one of its id.
    pub fn add_service(&self, service: ServiceInfo) {
        let services = &mut self.state.borrow_mut().services;
        services.retain(|s| s.service_id != service.service_id);
        services.push(service);
    }
}
