use yuyue_adapter::Routes;

fn routes() -> Routes {
    Routes::new("helper")
}

yuyue_adapter::function_entry!(routes);
