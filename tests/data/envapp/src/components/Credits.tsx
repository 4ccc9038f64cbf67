"use client";
import { createClient } from "@supabase/supabase-js";

export function Credits() {
  const supabase = createClient(process.env.NEXT_PUBLIC_SUPABASE_URL!, process.env.NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY!);
  return null;
}
