use yuyue_adapter::Routes;

fn routes() -> Routes {
    Routes::new("ops")
}

yuyue_adapter::function_entry!(routes);
