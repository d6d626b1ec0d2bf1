fn main() { for k in plugdex::manifest::schema::FileKind::ALL { println!("{}", k.schema_text()); } }
