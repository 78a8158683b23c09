use yuyue_adapter::Routes;

fn routes() -> Routes {
    Routes::new("progress")
}

yuyue_adapter::function_entry!(routes);
