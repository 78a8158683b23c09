use yuyue_adapter::Routes;

fn routes() -> Routes {
    Routes::new("login")
}

yuyue_adapter::function_entry!(routes);
