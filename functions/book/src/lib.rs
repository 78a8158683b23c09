use yuyue_adapter::Routes;

fn routes() -> Routes {
    Routes::new("book").forward("/v1/bookings/:booking_no/cancel", "CANCEL")
}

yuyue_adapter::function_entry!(routes);
