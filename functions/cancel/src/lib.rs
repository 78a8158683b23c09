use yuyue_adapter::Routes;

fn routes() -> Routes {
    Routes::new("cancel")
}

yuyue_adapter::function_entry!(routes);
