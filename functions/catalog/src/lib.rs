use yuyue_adapter::Routes;

fn routes() -> Routes {
    Routes::new("catalog")
}

yuyue_adapter::function_entry!(routes);
