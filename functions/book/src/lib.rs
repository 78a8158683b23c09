use yuyue_adapter::Routes;

fn routes() -> Routes {
    Routes::new("book")
}

yuyue_adapter::function_entry!(routes);
